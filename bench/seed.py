"""Bulk data for the bench, written straight through Tortoise (`bulk_create`), fast.

One group with an admin, and two OPEN programs made from the career template:
"dashboard" with `dashboard_pairs` pairs (a), and "live" with `live_pairs` pairs whose
members subscribe and post check-ins (c, e). Every pair has the template's milestones,
the first `milestones_done` of them completed. Every person has a session token whose
SHA-256 hash is stored the way `api.auth.issue_token` stores it, so load generators get
bearer tokens without logging in thousands of times.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from api.auth import hash_token
from api.db import migrate, tortoise_config
from api.program_templates import TEMPLATES
from bench.config import Config
from models import (
    AuthToken,
    CheckIn,
    Group,
    GroupMembership,
    Milestone,
    Pair,
    Program,
    ProgramStep,
    SignUp,
    User,
)
from models.enums import (
    GroupCategory,
    GroupRole,
    MentorshipRole,
    PairStatus,
    ProgramStatus,
    ProgramTemplate,
    SignUpStatus,
)
from schema.ids import encode_id

BATCH = 1000
MEMBER_CHECK_INS = 25
# Nobody logs in during the bench: any well-formed argon2 hash will do.
PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaA$0000000000000000000000000000000000000000000"
)


@dataclass
class LivePair:
    pair_id: str  # global ID
    mentor_token: str
    mentee_token: str
    mentor_name: str
    mentee_name: str


@dataclass
class Seeded:
    """What the load processes need, saved as JSON next to the database."""

    admin_token: str
    dashboard_program_id: str
    live: list[LivePair] = field(default_factory=list)
    member_token: str = ""  # person 2: a mentor in both programs, with check-ins (a)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Seeded:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            admin_token=raw["admin_token"],
            dashboard_program_id=raw["dashboard_program_id"],
            live=[LivePair(**item) for item in raw["live"]],
            member_token=raw.get("member_token", ""),
        )


async def seed(database_url: str, config: Config) -> Seeded:
    """Migrate a fresh database and fill it; returns the tokens and IDs the bench uses."""
    await migrate(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        async with in_transaction():
            seeded = await _fill(config)
        if database_url.startswith("postgres"):
            await _reset_sequences()
        return seeded
    finally:
        await Tortoise.close_connections()


async def _fill(config: Config) -> Seeded:
    now = datetime.now(UTC)
    expires = now + timedelta(days=30)
    spec = TEMPLATES[ProgramTemplate.CAREER_ADVANCEMENT]
    pairs_needed = max(config.dashboard_pairs, config.live_pairs)
    # Person 1 is the admin; then a mentor and a mentee per pair (2n, 2n+1).
    people = 1 + 2 * pairs_needed
    tokens = {pk: f"bench-{pk}-{secrets.token_urlsafe(16)}" for pk in range(1, people + 1)}
    names = {1: "Ada Admin"} | {
        pk: f"{'Mentor' if pk % 2 == 0 else 'Mentee'} {pk // 2}" for pk in range(2, people + 1)
    }
    await _bulk(
        User,
        [
            User(
                id=pk,
                email=f"bench{pk}@example.com",
                name=names[pk],
                password_hash=PASSWORD_HASH,
                birth_date=date(1990, 1, 1),
                created_at=now,
            )
            for pk in range(1, people + 1)
        ],
    )
    await _bulk(
        AuthToken,
        [
            AuthToken(id=pk, user_id=pk, token_hash=hash_token(token), expires_at=expires)
            for pk, token in tokens.items()
        ],
    )
    group = await Group.create(
        name="Bench Careers",
        category=GroupCategory.PROFESSIONAL_DEVELOPMENT,
        member_count=people,
    )
    await _bulk(
        GroupMembership,
        [
            GroupMembership(
                group_id=group.pk,
                user_id=pk,
                role=GroupRole.ADMIN if pk == 1 else GroupRole.MEMBER,
            )
            for pk in range(1, people + 1)
        ],
    )
    ids = _Ids()
    pairs, sign_ups, milestones = [], [], []
    programs: dict[str, tuple[int, int]] = {}
    for label, count in (("dashboard", config.dashboard_pairs), ("live", config.live_pairs)):
        program = await Program.create(
            group_id=group.pk,
            template=spec.template,
            title=f"{spec.title} ({label})",
            description=spec.description,
            status=ProgramStatus.OPEN,
        )
        await _bulk(
            ProgramStep,
            [
                ProgramStep(
                    program_id=program.pk,
                    position=position,
                    kind=step.kind,
                    title=step.title,
                    description=step.description,
                    suggested_week=step.suggested_week,
                )
                for position, step in enumerate(spec.steps, start=1)
            ],
        )
        first_pair = ids.pair + 1
        for n in range(1, count + 1):
            mentor_pk, mentee_pk = 2 * n, 2 * n + 1
            mentor_sign_up, mentee_sign_up = ids.next_sign_up(), ids.next_sign_up()
            for sign_up_pk, user_pk, role in (
                (mentor_sign_up, mentor_pk, MentorshipRole.MENTOR),
                (mentee_sign_up, mentee_pk, MentorshipRole.MENTEE),
            ):
                sign_ups.append(
                    SignUp(
                        id=sign_up_pk,
                        program_id=program.pk,
                        user_id=user_pk,
                        role=role,
                        status=SignUpStatus.MATCHED,
                        capacity=1,
                        slots_used=1,
                        active_pair_count=1,
                    )
                )
            pair_pk = ids.next_pair()
            done = min(config.milestones_done, len(spec.steps))
            pairs.append(
                Pair(
                    id=pair_pk,
                    program_id=program.pk,
                    mentor_sign_up_id=mentor_sign_up,
                    mentee_sign_up_id=mentee_sign_up,
                    mentor_id=mentor_pk,
                    mentee_id=mentee_pk,
                    status=PairStatus.ACTIVE,
                    milestone_count=len(spec.steps),
                    completed_milestone_count=done,
                    created_at=now,
                )
            )
            for position, step in enumerate(spec.steps, start=1):
                completed = position <= done
                milestones.append(
                    Milestone(
                        pair_id=pair_pk,
                        position=position,
                        kind=step.kind,
                        title=step.title,
                        description=step.description,
                        suggested_week=step.suggested_week,
                        completed_at=now - timedelta(days=position) if completed else None,
                        completed_by_id=(mentee_pk if position % 2 else mentor_pk)
                        if completed
                        else None,
                    )
                )
        programs[label] = (program.pk, first_pair)
    await _bulk(SignUp, sign_ups)
    await _bulk(Pair, pairs)
    await _bulk(Milestone, milestones)
    # Person 2 mentors the first pair of each program: the member's page (a) shows both,
    # each with more check-ins than a page holds, the two members taking turns.
    sizes = {"dashboard": config.dashboard_pairs, "live": config.live_pairs}
    member_pairs = [first for label, (_, first) in programs.items() if sizes[label]]
    await _bulk(
        CheckIn,
        [
            CheckIn(
                pair_id=pair_pk,
                author_id=2 if n % 2 else 3,
                body=f"Week {n}: what we did, and what comes next.",
                created_at=now - timedelta(days=MEMBER_CHECK_INS - n),
            )
            for pair_pk in member_pairs
            for n in range(1, MEMBER_CHECK_INS + 1)
        ],
    )
    live_program, live_first = programs["live"]
    return Seeded(
        admin_token=tokens[1],
        member_token=tokens[2] if people > 1 else "",
        dashboard_program_id=encode_id("Program", programs["dashboard"][0]),
        live=[
            LivePair(
                pair_id=encode_id("Pair", live_first + n - 1),
                mentor_token=tokens[2 * n],
                mentee_token=tokens[2 * n + 1],
                mentor_name=names[2 * n],
                mentee_name=names[2 * n + 1],
            )
            for n in range(1, config.live_pairs + 1)
        ],
    )


class _Ids:
    """Explicit primary keys, so pairs can point at sign-ups before either is saved."""

    def __init__(self) -> None:
        self.pair = 0
        self.sign_up = 0

    def next_pair(self) -> int:
        self.pair += 1
        return self.pair

    def next_sign_up(self) -> int:
        self.sign_up += 1
        return self.sign_up


async def _bulk(model: type, rows: list) -> None:
    await model.bulk_create(rows, batch_size=BATCH)


async def _reset_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move them past the rows."""
    connection = Tortoise.get_connection("default")
    for table in ("users", "auth_tokens", "sign_ups", "pairs"):
        await connection.execute_script(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.seed DATABASE_URL OUT.json [--live-pairs N ...]`: a process of its
    own, since Tortoise keeps per-dialect state from an earlier init in the same process."""
    import argparse
    import asyncio

    from bench.config import add_arguments, from_arguments

    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    parser.add_argument("database_url")
    parser.add_argument("out", type=Path)
    add_arguments(parser)
    args = parser.parse_args(argv)
    seeded = asyncio.run(seed(args.database_url, from_arguments(args, Config())))
    seeded.save(args.out)


if __name__ == "__main__":
    main()
