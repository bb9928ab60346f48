"""A person's notifications: `viewer.notifications`, `markNotificationsRead`, and the
live `viewerNotifications` subscription (the viewer's own only)."""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api import pubsub
from api.errors import BadUserInput
from api.services import notifications as notifications_service
from api.validation import LIST_MAX
from models import Notification as NotificationModel
from models import User as UserModel
from models import enums as model_enums
from schema import live
from schema.common import Connection, Info, Node, Payload, paginate
from schema.enums import describe
from schema.ids import pk_of
from schema.live import LiveSubscription

if TYPE_CHECKING:
    from schema.pairs import Pair

LazyPair = Annotated["Pair", strawberry.lazy("schema.pairs")]

NotificationKind = describe(
    model_enums.NotificationKind,
    "What a notification is about.",
    {
        "PAIRED": "You've been paired.",
        "PAIR_ENDED": "Your pair ended early.",
        "PAIR_COMPLETED": "Your pair completed every milestone.",
        "CHECK_IN_REMINDER": "Your pair's weekly check-in is overdue.",
    },
)


@strawberry.type(description="Something you should know about; yours alone.")
class Notification(Node):
    @strawberry.field(description="What it is about.")
    def kind(self) -> NotificationKind:  # type: ignore[valid-type]
        return self.model.kind

    @strawberry.field(description="What happened, for a person to read.")
    def message(self) -> str:
        return notifications_service.MESSAGES[self.model.kind]

    @strawberry.field(description="The pair it is about, if any.")
    async def pair(self, info: Info) -> LazyPair | None:
        from schema.pairs import Pair

        if self.model.pair_id is None:
            return None
        pair = await info.context.loaders.pairs.load(self.model.pair_id)
        return Pair.of(pair) if pair is not None else None

    @strawberry.field(description="When it was sent.")
    def created_at(self) -> datetime.datetime:
        return self.model.created_at

    @strawberry.field(description="When you marked it read; null while unread.")
    def read_at(self) -> datetime.datetime | None:
        return self.model.read_at

    @classmethod
    def of(cls, model: NotificationModel) -> Notification:
        return cls(model=model)


async def viewer_notifications(
    user: UserModel,
    unread: bool | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Notification]:
    query = notifications_service.notifications_of(user.pk, unread)
    return await paginate(
        query,
        Notification.of,
        first=first,
        after=after,
        last=last,
        before=before,
        newest_first=True,
    )


@strawberry.input(description="The notifications to mark read.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] = strawberry.field(description="Your notifications (at most 100).")


@strawberry.type(description="The result of `markNotificationsRead`.")
class MarkNotificationsReadPayload(Payload):
    notifications: list[Notification] | None = strawberry.field(
        default=None, description="The notifications, now read."
    )


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark some of your notifications read.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        viewer = await info.context.require_viewer()
        if len(input.ids) > LIST_MAX:
            raise BadUserInput(f"At most {LIST_MAX} IDs.")
        pks = [pk_of(raw, "Notification") for raw in input.ids]
        rows = await notifications_service.mark_read(viewer, pks)
        return MarkNotificationsReadPayload(notifications=[Notification.of(n) for n in rows])


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(
        description="Your own notifications as they are sent: paired, pair ended or "
        "completed, weekly check-in reminders."
    )
    async def viewer_notifications(self, info: Info) -> AsyncGenerator[Notification, None]:
        viewer = await info.context.require_viewer()
        async for value in live.run(NotificationListener(viewer.pk, info.context)):
            yield value


class NotificationListener(LiveSubscription):
    """One person's `viewerNotifications`, as the hub holds it once live."""

    __slots__ = ("user_pk",)

    def __init__(self, user_pk: int, context: Any) -> None:
        super().__init__(pubsub.user_channel(user_pk), context)
        self.user_pk = user_pk

    async def receive(self, message: dict[str, Any]) -> None:
        notification = await notifications_service.published(self.user_pk, message)
        if notification is not None:
            self.context.refresh_loaders()
            await self.deliver(Notification.of(notification))
