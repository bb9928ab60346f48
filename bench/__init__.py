"""The benchmark suite (`make bench`, `python -m bench`): issue 5's figures, each against
the fastest thing that does the same work on the same machine, quoted as ratios.

Modules: config (sizes, durations, the tiny configuration), seed (bulk data and known
tokens), capture (the SQL the API issues for the dashboard), baseline (plain Starlette,
same SQL, same JSON), bare_ws (bare ASGI websocket broadcaster), servers (processes started
as a user would), loadgen / wrk (HTTP load), fanout (websocket subscribers and the
check-in poster), report (table and machine details), run (the orchestrator).
"""
