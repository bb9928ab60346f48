"""Operability: probes, request ids and structured logs, Prometheus metrics, and the
graceful stop (docs/operations.md).

In-process tests use the real app through the TestClient; the last ones start real
`python -m api serve` processes (tests/servers.py), read their JSON log lines, scrape
their /metrics and send them SIGTERM. Redis tests run a throwaway redis-server and are
skipped without one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from tortoise import connections
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from api.app import create_app
from api.logs import JsonFormatter, TextFormatter
from api.metrics import OperationNames
from api.settings import Settings
from tests import servers
from tests.backends import TEST_BROADCAST_URL, TEST_DATABASE_URL
from tests.helpers import Api, Subscriptions

ME = "query Me { viewer { id name } }"
POST_CHECK_IN = """
mutation PostCheckIn($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id } userErrors { code field message } }
}"""
CHECK_INS = "subscription OnCheckIn($pairId: ID!) { checkInPosted(pairId: $pairId) { id body } }"
REDIS_SERVER = "/usr/bin/redis-server"
WAIT = 10.0  # the bound on any wait for a server in these tests


# --- helpers ------------------------------------------------------------------------------


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client: Any) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse_metrics(response.text)


def make_pair(api: Api) -> tuple[str, str, str]:
    """(pair id, mentor token, mentee token)."""
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    return pair["id"], story.mentor.token, story.mentee.token


def connect(client: TestClient, **kwargs: Any):
    return client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], **kwargs)


def operation_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Records that describe a GraphQL operation: the access line of an HTTP request, or
    a websocket operation's own line."""
    return [record for record in caplog.records if hasattr(record, "operation_type")]


# --- probes -------------------------------------------------------------------------------


def test_healthz_answers_without_consulting_anything(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_every_check(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["failed"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broadcast"]["ok"] is True


def test_readyz_is_503_when_the_database_does_not_answer(
    settings: Settings, tmp_path: Path
) -> None:
    # A SQLite file in a directory that does not exist: every connection attempt fails.
    broken = dataclasses.replace(
        settings, database_url=f"sqlite://{tmp_path / 'missing' / 'db.sqlite3'}"
    )
    with TestClient(create_app(broken)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["broadcast"]["ok"] is True


class RedisServer:
    """A throwaway redis-server on a free port, stoppable and restartable."""

    def __init__(self) -> None:
        self.port = servers.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        servers.stop(self.process, signal.SIGKILL)
        self.process = None


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    if not os.path.exists(REDIS_SERVER):
        pytest.skip(f"{REDIS_SERVER} is not installed")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def ready_within(client: TestClient, expected: int) -> dict:
    """Poll /readyz until it answers `expected` (Redis reconnects with backoff)."""
    deadline = time.monotonic() + WAIT
    while True:
        response = client.get("/readyz")
        if response.status_code == expected or time.monotonic() > deadline:
            assert response.status_code == expected, response.json()
            return response.json()
        time.sleep(0.1)


def test_readyz_is_503_while_redis_is_down(settings: Settings, redis: RedisServer) -> None:
    with TestClient(create_app(dataclasses.replace(settings, broadcast_url=redis.url))) as client:
        assert client.get("/readyz").json()["checks"]["broadcast"]["ok"] is True
        redis.stop()
        body = ready_within(client, 503)
        assert body["failed"] == ["broadcast"]
        assert body["checks"]["database"]["ok"] is True
        redis.start()  # same port: the backend reconnects by itself
        assert ready_within(client, 200)["status"] == "ready"


def test_readyz_is_503_while_draining(client: TestClient, api: Api) -> None:
    api.run(api.app.state.drain.close_websockets, 1.0)
    body = client.get("/readyz").json()
    assert body["failed"] == ["shutdown"]


# --- request ids and log lines ------------------------------------------------------------


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert client.get("/healthz").headers["x-request-id"] != generated
    echoed = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a:1"})
    assert echoed.headers["x-request-id"] == "edge-7f3a:1"
    for insane in ("x" * 200, "two words", "<script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": insane})
        assert replaced.headers["x-request-id"] != insane
        assert len(replaced.headers["x-request-id"]) == 32


def test_each_http_request_logs_one_line_with_its_operation_and_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    pair_id, mentor, _ = make_pair(api)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        ok = api.client.post(
            "/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {mentor}", "X-Request-ID": "req-ok"},
        )
        api.client.post(
            "/graphql",
            json={"query": POST_CHECK_IN, "variables": {"input": {"pairId": pair_id, "body": " "}}},
            headers={"Authorization": f"Bearer {mentor}", "X-Request-ID": "req-user-error"},
        )
        api.client.post(
            "/graphql",
            json={"query": POST_CHECK_IN, "variables": {"input": {"pairId": pair_id, "body": "x"}}},
            headers={"X-Request-ID": "req-anonymous"},
        )
        api.client.post(
            "/graphql",
            json={"query": "query Broken { viewer { nope } }"},
            headers={"X-Request-ID": "req-invalid"},
        )
    assert ok.headers["x-request-id"] == "req-ok"
    records = {record.request_id: record for record in operation_records(caplog)}
    assert set(records) == {"req-ok", "req-user-error", "req-anonymous", "req-invalid"}
    expected = {
        "req-ok": ("Me", "query", "ok"),
        "req-user-error": ("PostCheckIn", "mutation", "user_error"),
        "req-anonymous": ("PostCheckIn", "mutation", "UNAUTHENTICATED"),
        "req-invalid": ("Broken", "unknown", "BAD_USER_INPUT"),
    }
    for request_id, (name, kind, outcome) in expected.items():
        record = records[request_id]
        line = json.loads(JsonFormatter().format(record))
        assert line["request_id"] == request_id
        assert line["logger"] == "api.access"
        assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
        assert line["operation_name"] == name
        assert line["operation_type"] == kind
        assert line["outcome"] == outcome
        assert isinstance(line["operation_ms"], float) and line["operation_ms"] >= 0
        assert line["duration_ms"] >= line["operation_ms"]
    assert records["req-anonymous"].error_codes == ["UNAUTHENTICATED"]
    assert records["req-ok"].getMessage() == "POST /graphql 200 (query Me: ok)"
    # One line per request: no separate operation line over HTTP.
    assert not [r for r in caplog.records if r.name == "api.operations"]


@pytest.mark.skipif(
    TEST_DATABASE_URL is not None, reason="drops a table: only on the per-test SQLite file"
)
def test_a_fault_deep_in_the_stack_is_logged_with_the_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """A real fault (the token table vanishes): the traceback logged far from the
    middleware names the request, and so does the operation's line."""
    token = api.person().token

    async def drop_tokens() -> None:
        await connections.get("default").execute_script("DROP TABLE auth_tokens")

    api.run(drop_tokens)
    with caplog.at_level(logging.INFO):
        response = api.client.post(
            "/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-fault"},
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    [fault] = [r for r in caplog.records if r.name == "api.errors"]
    assert fault.request_id == "req-fault"
    assert "no such table" in json.loads(JsonFormatter().format(fault))["exception"]
    [operation] = operation_records(caplog)
    assert (operation.request_id, operation.outcome) == ("req-fault", "INTERNAL_SERVER_ERROR")


def test_a_subscription_logs_under_its_connection_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """The id set for the websocket reaches the operation's own task (context variables)."""
    pair_id, mentor, _ = make_pair(api)
    with (
        caplog.at_level(logging.INFO),
        connect(api.client, headers={"X-Request-ID": "ws-conn-1"}) as ws,
    ):
        sub = Subscriptions(ws)
        assert sub.init(mentor)["type"] == "connection_ack"
        sub.subscribe("1", CHECK_INS, {"pairId": pair_id})
        api.wait_for_listeners(pair_id, 1)
        ws.send_json({"id": "1", "type": "complete"})
        # Wait for the operation to end: its log line is written as it stops.
        deadline = time.monotonic() + WAIT
        while not operation_records(caplog) and time.monotonic() < deadline:
            time.sleep(0.01)
    [record] = operation_records(caplog)
    assert record.name == "api.operations"  # a websocket operation: a line of its own
    assert record.request_id == "ws-conn-1"
    assert (record.operation_name, record.operation_type, record.outcome) == (
        "OnCheckIn",
        "subscription",
        "ok",
    )


def test_formatters_write_one_parseable_line_per_record() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("api.test").makeRecord(
            "api.test",
            logging.ERROR,
            __file__,
            1,
            "failed %s",
            ("here",),
            sys.exc_info(),
            extra={"pair_id": 7},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed here"
    assert parsed["level"] == "error"
    assert parsed["pair_id"] == 7
    assert "ValueError: boom" in parsed["exception"]
    text = TextFormatter().format(record)
    assert "failed here pair_id=7" in text


# --- metrics ------------------------------------------------------------------------------


def test_metrics_count_operations_by_name_and_outcome(api: Api) -> None:
    pair_id, mentor, _ = make_pair(api)
    before = scrape(api.client)
    api.data(ME, token=mentor)
    api.data(ME, token=mentor)
    api.mutate(POST_CHECK_IN, {"pairId": pair_id, "body": " "}, mentor)
    api.error_code(POST_CHECK_IN, {"input": {"pairId": pair_id, "body": "x"}})
    api.post("query Broken { viewer { nope } }")
    empty = api.client.post("/graphql", json={"query": ""})  # a client's mistake, not ours
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    after = scrape(api.client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ops = "graphql_operations_total"
    assert delta(ops, operation="Me", type="query", outcome="ok") == 2
    assert delta(ops, operation="PostCheckIn", type="mutation", outcome="user_error") == 1
    assert delta(ops, operation="PostCheckIn", type="mutation", outcome="UNAUTHENTICATED") == 1
    # Never validated: its name is not trusted as a label.
    assert delta(ops, operation="invalid", type="unknown", outcome="BAD_USER_INPUT") == 1
    assert delta(ops, operation="Broken", type="unknown", outcome="BAD_USER_INPUT") == 0
    assert delta(ops, operation="invalid", type="unknown", outcome="BAD_REQUEST") == 1
    assert (
        sum(
            value(after, ops, operation=o, type=t, outcome="INTERNAL_SERVER_ERROR")
            - value(before, ops, operation=o, type=t, outcome="INTERNAL_SERVER_ERROR")
            for o in ("invalid", "anonymous")
            for t in ("unknown", "query")
        )
        == 0
    )
    latency = "graphql_operation_duration_seconds_count"
    assert delta(latency, type="query") == 2
    assert delta(latency, type="mutation") == 2
    assert delta("http_responses_total", method="POST", status="200") == 5
    assert delta("http_responses_total", method="POST", status="400") == 1


def test_metrics_follow_websockets_subscriptions_and_events(api: Api) -> None:
    pair_id, mentor, mentee = make_pair(api)
    before = scrape(api.client)
    published_before = api.published
    with connect(api.client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(mentee)["type"] == "connection_ack"
        sub.subscribe("1", CHECK_INS, {"pairId": pair_id})
        api.wait_for_listeners(pair_id, 1)
        during = scrape(api.client)
        assert (
            value(during, "graphql_websocket_connections")
            - value(before, "graphql_websocket_connections")
            == 1
        )
        assert (
            value(during, "graphql_subscriptions_active")
            - value(before, "graphql_subscriptions_active")
            == 1
        )
        api.ok(POST_CHECK_IN, {"pairId": pair_id, "body": "Week one went well."}, mentor)
        assert sub.receive()["payload"]["data"]["checkInPosted"]["body"] == "Week one went well."
        events = scrape(api.client)
        published = api.published - published_before
        assert published >= 1
        assert (
            value(events, "pubsub_events_published_total")
            - value(before, "pubsub_events_published_total")
            == published
        )
        # One subscriber on the pair's channel: it received every event published there.
        assert (
            value(events, "pubsub_events_delivered_total")
            - value(before, "pubsub_events_delivered_total")
            == published
        )
        ws.send_json({"id": "1", "type": "complete"})
        deadline = time.monotonic() + WAIT
        while value(scrape(api.client), "graphql_subscriptions_active") != value(
            before, "graphql_subscriptions_active"
        ):
            assert time.monotonic() < deadline, "the subscription gauge never went down"
            time.sleep(0.02)
    deadline = time.monotonic() + WAIT
    while value(scrape(api.client), "graphql_websocket_connections") != value(
        before, "graphql_websocket_connections"
    ):
        assert time.monotonic() < deadline, "the websocket gauge never went down"
        time.sleep(0.02)


def test_operation_name_labels_are_bounded() -> None:
    names = OperationNames(limit=3)
    assert [names.label(n) for n in ("A", "B", "A", "C", "D", "B")] == [
        "A",
        "B",
        "A",
        "C",
        "other",
        "B",
    ]
    assert names.label(None) == "anonymous"
    assert names.label("") == "anonymous"
    long = OperationNames(limit=10).label("N" * 500)
    assert long == "N" * 64


def test_metrics_can_be_switched_off(settings: Settings) -> None:
    with TestClient(create_app(dataclasses.replace(settings, metrics=False))) as client:
        assert client.get("/metrics").status_code == 404


# --- graceful stop, in process --------------------------------------------------------------


def test_draining_closes_open_websockets_with_1001(api: Api) -> None:
    pair_id, mentor, _ = make_pair(api)
    with connect(api.client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(mentor)["type"] == "connection_ack"
        sub.subscribe("1", CHECK_INS, {"pairId": pair_id})
        api.wait_for_listeners(pair_id, 1)
        assert api.client.portal is not None
        drain = api.app.state.drain
        draining = api.client.portal.start_task_soon(drain.close_websockets, WAIT)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
    assert closed.value.code == 1001
    assert closed.value.reason == "Server shutting down"
    assert draining.result(timeout=WAIT) == 0  # none left open: the client answered
    # While draining, a new connection is closed at once.
    with connect(api.client) as ws, pytest.raises(WebSocketDisconnect) as refused:
        ws.receive_json()
    assert refused.value.code == 1001


# --- real servers -------------------------------------------------------------------------


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite://{tmp_path / 'served.db'}",
        BROADCAST_URL="memory://",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
        RATE_LIMIT_USER_PER_MINUTE="0",
        RATE_LIMIT_IP_PER_MINUTE="0",
        LOG_LEVEL="info",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


def _log_lines(path: Path) -> list[dict]:
    """Every line the server wrote, each parsed as JSON (a line that is not fails)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_a_served_process_writes_json_lines_and_sums_worker_metrics(tmp_path: Path) -> None:
    """LOG_FORMAT=json: uvicorn's own lines too. PROMETHEUS_MULTIPROC_DIR: /metrics reads
    the per-process files (multiprocess mode), and a stale file from an earlier run is
    cleared at start-up."""
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_99999.db").write_bytes(b"stale")
    log_path = tmp_path / "server.log"
    env = _env(tmp_path, LOG_FORMAT="json", PROMETHEUS_MULTIPROC_DIR=str(multiproc))
    with servers.serving(env, log_path) as (port, _process):
        base = f"http://127.0.0.1:{port}"
        response = httpx.post(
            f"{base}/graphql",
            json={"query": ME},
            headers={"X-Request-ID": "served-1"},
            timeout=WAIT,
        )
        assert response.headers["x-request-id"] == "served-1"
        samples = parse_metrics(httpx.get(f"{base}/metrics", timeout=WAIT).text)
        assert not (multiproc / "counter_99999.db").exists()
        assert (
            value(samples, "graphql_operations_total", operation="Me", type="query", outcome="ok")
            == 1
        )
    lines = _log_lines(log_path)
    assert any(line["logger"] == "uvicorn.error" for line in lines)
    access = [line for line in lines if line["logger"] == "api.access"]
    assert [(a["request_id"], a["path"], a["status"]) for a in access] == [
        ("served-1", "/graphql", 200)
    ]
    assert (access[0]["operation_name"], access[0]["outcome"]) == ("Me", "ok")


def _metric(base: str, name: str) -> float:
    return value(parse_metrics(httpx.get(f"{base}/metrics", timeout=WAIT).text), name)


def _wait_for_metric(base: str, name: str, at_least: float) -> None:
    deadline = time.monotonic() + WAIT
    while _metric(base, name) < at_least:
        assert time.monotonic() < deadline, f"{name} never reached {at_least}"
        time.sleep(0.05)


def test_sigterm_closes_subscriptions_with_1001_and_finishes_requests(tmp_path: Path) -> None:
    grace = 5.0
    log_path = tmp_path / "server.log"
    env = _env(tmp_path, LOG_FORMAT="json", SHUTDOWN_GRACE_S=str(grace))
    port = servers.free_port()
    process = servers.start_serve(env, port, log_path)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=WAIT) as http:
            api = Api(http, app=None)  # type: ignore[arg-type]
            pair_id, mentor, _ = make_pair(api)

        with ws_connect(
            f"ws://127.0.0.1:{port}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=WAIT,
        ) as ws:
            ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {mentor}"}}
                )
            )
            assert json.loads(ws.recv(timeout=WAIT))["type"] == "connection_ack"
            ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": CHECK_INS, "variables": {"pairId": pair_id}},
                    }
                )
            )
            _wait_for_metric(base, "graphql_subscriptions_active", 1)

            # An HTTP request in flight: headers and half the body sent, the rest later.
            body = json.dumps({"query": ME}).encode()
            request = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            request.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nX-Request-ID: in-flight\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            _wait_for_metric(base, "http_requests_in_progress", 1)

            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=WAIT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        assert closed.value.rcvd.reason == "Server shutting down"

        # The request started before the signal still gets its answer.
        request.sendall(body[10:])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = request.recv(65536)
            if not chunk:
                break
            answer += chunk
        request.close()
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), answer
        assert json.loads(payload) == {"data": {"viewer": None}}

        assert process.wait(timeout=grace * 2 + WAIT) == 0
    finally:
        servers.stop(process)
    lines = _log_lines(log_path)
    messages = [line["message"] for line in lines]
    assert "received SIGTERM: closing websockets, then stopping" in messages
    assert not any("did not close in time" in message for message in messages)


@pytest.mark.skipif(
    TEST_DATABASE_URL is None or not TEST_BROADCAST_URL.startswith("redis"),
    reason="several workers need PostgreSQL and Redis (make test-scaled)",
)
def test_workers_share_metrics_and_stop_gracefully(database_url: str, tmp_path: Path) -> None:
    """WORKERS=2 with PROMETHEUS_MULTIPROC_DIR: every scrape, whichever worker answers
    it, sums both; SIGTERM to the supervisor closes a subscription with 1001 and the
    whole process tree exits 0."""
    env = _env(
        tmp_path,
        DATABASE_URL=database_url,
        BROADCAST_URL=TEST_BROADCAST_URL,
        WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        LOG_FORMAT="json",
    )
    port = servers.free_port()
    process = servers.start_serve(env, port, tmp_path / "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=WAIT) as http:
            pair_id, mentor, _ = make_pair(Api(http, app=None))  # type: ignore[arg-type]
            for _ in range(10):  # new connections: the kernel spreads them over workers
                httpx.post(f"{base}/graphql", json={"query": ME}, timeout=WAIT)
        for _ in range(4):
            samples = parse_metrics(httpx.get(f"{base}/metrics", timeout=WAIT).text)
            labels = {"operation": "Me", "type": "query", "outcome": "ok"}
            assert value(samples, "graphql_operations_total", **labels) == 10
        with ws_connect(
            f"ws://127.0.0.1:{port}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=WAIT,
        ) as ws:
            init = {"authorization": f"Bearer {mentor}"}
            ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(ws.recv(timeout=WAIT))["type"] == "connection_ack"
            payload = {"query": CHECK_INS, "variables": {"pairId": pair_id}}
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            _wait_for_metric(base, "graphql_subscriptions_active", 1)
            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert process.wait(timeout=WAIT * 2) == 0
    finally:
        servers.stop(process)
