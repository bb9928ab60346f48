"""The GraphQL schema, merged from one module per domain."""

from __future__ import annotations

import strawberry

from api.settings import Settings
from schema.errors import MentorshipSchema
from schema.groups import Group, GroupMembership, GroupMutations, GroupQueries
from schema.matching import MatchingMutations
from schema.nodes import NodeQueries
from schema.notifications import Notification, NotificationMutations, NotificationSubscriptions
from schema.pairs import CheckIn, Milestone, Pair, PairMutations, PairQueries
from schema.pipeline import schema_extensions
from schema.programs import Program, ProgramMutations, ProgramQueries, SignUpQuestion
from schema.sharing import SharingExecutionContext
from schema.signups import SignUp, SignUpMutations
from schema.subscriptions import (
    CheckInPostedEvent,
    MilestoneCompletedEvent,
    PairCompletedEvent,
    PairEndedEvent,
    PairSubscriptions,
)
from schema.users import User, UserMutations, UserQueries


@strawberry.type(description="Reads. Everything but `viewer` needs a signed-in user.")
class Query(PairQueries, ProgramQueries, GroupQueries, NodeQueries, UserQueries):
    pass


@strawberry.type(
    description="Changes. Each takes one `input` and returns a payload with `userErrors`. "
    "Sent over HTTP with an `Idempotency-Key` header (1-255 printable ASCII characters), a "
    "signed-in user's mutation runs at most once per key for 24 hours: a retry of the same "
    "request gets the first response, the key used for another request is "
    "IDEMPOTENCY_KEY_REUSED, and a retry while the first still runs IDEMPOTENCY_KEY_IN_USE."
)
class Mutation(
    PairMutations,
    SignUpMutations,
    ProgramMutations,
    GroupMutations,
    UserMutations,
    MatchingMutations,
    NotificationMutations,
):
    pass


@strawberry.type(
    description="Live updates over graphql-transport-ws: a pair's, for its two members, and "
    "your own notifications."
)
class Subscription(PairSubscriptions, NotificationSubscriptions):
    pass


def _describe_mutation_inputs(built: strawberry.Schema) -> None:
    """Every mutation takes one `input`; say so in the SDL, once, here."""
    mutation = built._schema.mutation_type
    assert mutation is not None
    for field in mutation.fields.values():
        for arg in field.args.values():
            arg.description = arg.description or "The mutation's input."


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the extensions `settings` ask for (limits, rate limits...)."""
    settings = settings or Settings()
    built = MentorshipSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            User,
            Group,
            GroupMembership,
            Program,
            SignUpQuestion,
            SignUp,
            Pair,
            Milestone,
            CheckIn,
            Notification,
            MilestoneCompletedEvent,
            CheckInPostedEvent,
            PairCompletedEvent,
            PairEndedEvent,
        ],
        extensions=schema_extensions(settings),
        # Subscription events: one execution per distinct selection (schema/sharing.py).
        execution_context_class=SharingExecutionContext,
    )
    _describe_mutation_inputs(built)
    return built


schema = build_schema()
