"""A person's notifications: `viewer.notifications`, `markNotificationsRead`, and the
`viewerNotifications` subscription (the viewer's own only), which replays after a
cursor, then goes on live, by the rule pairEvents follows (`LogFollower`)."""

from __future__ import annotations

import base64
import datetime
from collections.abc import AsyncGenerator, AsyncIterator
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


def encode_notification_cursor(user_pk: int, sequence: int) -> str:
    return base64.b64encode(f"Notification:{user_pk}:{sequence}".encode()).decode()


def decode_notification_cursor(raw: str, user_pk: int) -> int:
    """The sequence a cursor of this person's notifications points at; anything else
    is BAD_USER_INPUT."""
    try:
        kind, user_text, sequence_text = base64.b64decode(raw, validate=True).decode().split(":")
        if kind != "Notification" or int(user_text) != user_pk or int(sequence_text) < 0:
            raise ValueError
        return int(sequence_text)
    except ValueError:  # binascii.Error and UnicodeError are ValueErrors too
        raise BadUserInput("`after` is not a cursor of your notifications.") from None


@strawberry.type(description="Something you should know about; yours alone.")
class Notification(Node):
    @strawberry.field(
        description="Pass as `after` to `viewerNotifications` to resume right after this one."
    )
    def cursor(self) -> str:
        return encode_notification_cursor(self.model.user_id, self.model.sequence)

    @strawberry.field(description="Position among your notifications: 1, 2, 3... with no gaps.")
    def sequence(self) -> int:
        return self.model.sequence

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
        description="Your own notifications: paired, pair ended or completed, weekly "
        "check-in reminders. With `after`, every one after that cursor is replayed from "
        "storage first; then they come live as they are sent: in order, each exactly once."
    )
    async def viewer_notifications(
        self,
        info: Info,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The cursor of the last notification you received; null: "
                "only those sent from now on."
            ),
        ] = None,
    ) -> AsyncGenerator[Notification, None]:
        viewer = await info.context.require_viewer()
        since = decode_notification_cursor(after, viewer.pk) if after is not None else None
        async for value in live.run(NotificationListener(viewer.pk, info.context, since)):
            yield value


class NotificationListener(LiveSubscription):
    """One person's `viewerNotifications`, as the hub holds it once live."""

    __slots__ = ("follower", "since")

    def __init__(self, user_pk: int, context: Any, since: int | None) -> None:
        super().__init__(pubsub.user_channel(user_pk), context)
        self.follower = notifications_service.NotificationFollower(user_pk, 0)
        self.since = since

    async def replay(self) -> AsyncIterator[Any]:
        """Where the log stands (read after joining the hub), and with a cursor every
        notification after it."""
        follower = self.follower
        if self.since is None:
            follower.last = await notifications_service.last_sequence(follower.key)
            return
        follower.last = self.since
        for notification in follower.take(await follower.after(self.since)):
            yield Notification.of(notification)

    async def receive(self, message: dict[str, Any]) -> None:
        for notification in await self.follower.accept(message):
            self.context.refresh_loaders()
            await self.deliver(Notification.of(notification))
