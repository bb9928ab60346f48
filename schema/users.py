"""People: the User type, `viewer`, registering and signing in and out, and the account's
safety and privacy (changePassword, exportMyData, deleteAccount, blockUser)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from api.errors import DomainError
from api.services import accounts, blocks
from models import Group as GroupModel
from models import Pair as PairModel
from models import SignUp as SignUpModel
from models import User as UserModel
from schema import enums, prefetch
from schema.common import (
    After,
    Before,
    Connection,
    First,
    Info,
    Last,
    Node,
    Payload,
    paginate,
    user_errors,
)
from schema.ids import encode_id, pk_of
from schema.permissions import is_viewer

if TYPE_CHECKING:
    from schema.groups import Group
    from schema.notifications import Notification
    from schema.pairs import Pair
    from schema.signups import SignUp

LazyPair = Annotated["Pair", strawberry.lazy("schema.pairs")]
LazySignUp = Annotated["SignUp", strawberry.lazy("schema.signups")]
LazyGroup = Annotated["Group", strawberry.lazy("schema.groups")]
LazyNotification = Annotated["Notification", strawberry.lazy("schema.notifications")]


@strawberry.type(
    description="A person. Anyone signed in sees `id` and `name`; the rest is theirs alone."
)
class User(Node):
    name: str = strawberry.field(description="The name shown to others.")

    @strawberry.field(description="Email address; null unless this is you.")
    async def email(self, info: Info) -> str | None:
        return self.model.email if await is_viewer(info, self.model) else None

    @strawberry.field(description="Your pairs, newest first; null unless this is you.")
    async def pairs(
        self,
        info: Info,
        status: Annotated[
            enums.PairStatus | None, strawberry.argument(description="Only pairs in this status.")
        ] = None,
        role: Annotated[
            enums.MentorshipRole | None,
            strawberry.argument(description="Only pairs where you have this role."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazyPair] | None:
        if not await is_viewer(info, self.model):
            return None
        from schema.pairs import Pair

        pk = self.model.pk
        if role is None:
            query = PairModel.fast_query().either(mentor_id=pk, mentee_id=pk)
        elif role.value == "MENTOR":
            query = PairModel.fast_query(mentor_id=pk)
        else:
            query = PairModel.fast_query(mentee_id=pk)
        if status is not None:
            query = query.filter(status=status)
        page = await paginate(
            query, Pair.of, first=first, after=after, last=last, before=before, newest_first=True
        )
        await prefetch.pairs_page(info, [edge.node.model for edge in page.edges], "edges", "node")
        return page

    @strawberry.field(description="Your sign-ups, newest first; null unless this is you.")
    async def sign_ups(
        self,
        info: Info,
        status: Annotated[
            enums.SignUpStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazySignUp] | None:
        if not await is_viewer(info, self.model):
            return None
        from schema.signups import SignUp

        query = SignUpModel.filter(user_id=self.model.pk)
        if status is not None:
            query = query.filter(status=status)
        return await paginate(
            query, SignUp.of, first=first, after=after, last=last, before=before, newest_first=True
        )

    @strawberry.field(description="Groups you belong to; null unless this is you.")
    async def groups(
        self,
        info: Info,
        role: Annotated[
            enums.GroupRole | None,
            strawberry.argument(description="Only where you have this role."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazyGroup] | None:
        if not await is_viewer(info, self.model):
            return None
        from schema.groups import Group

        filters = {"memberships__user_id": self.model.pk}
        if role is not None:
            filters["memberships__role"] = role
        query = GroupModel.filter(**filters)
        return await paginate(query, Group.of, first=first, after=after, last=last, before=before)

    @strawberry.field(description="Your notifications, newest first; null unless this is you.")
    async def notifications(
        self,
        info: Info,
        unread: Annotated[
            bool | None,
            strawberry.argument(description="true: only unread; false: only read; null: all."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazyNotification] | None:
        if not await is_viewer(info, self.model):
            return None
        from schema.notifications import viewer_notifications

        return await viewer_notifications(self.model, unread, first, after, last, before)

    @classmethod
    def of(cls, model: UserModel) -> User:
        return cls(model=model, name=model.name)


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Your email; you sign in with it.")
    password: str = strawberry.field(description="At least 10 characters.")
    name: str = strawberry.field(description="The name others see (at most 100 characters).")
    birth_date: datetime.date = strawberry.field(
        description="Your birth date; mentorship is for people aged 18 and over."
    )


@strawberry.type(description="A session: the result of signing up or in.")
class AuthPayload(Payload):
    token: str | None = strawberry.field(
        default=None, description="Bearer token for the Authorization header; valid 30 days."
    )
    user: User | None = strawberry.field(default=None, description="Who you are signed in as.")


RegisterPayload = strawberry.type(
    type("RegisterPayload", (AuthPayload,), {}), description="The result of `register`."
)
LoginPayload = strawberry.type(
    type("LoginPayload", (AuthPayload,), {}), description="The result of `login`."
)


@strawberry.input(description="Email and password.")
class LoginInput:
    email: str = strawberry.field(description="The email you registered with.")
    password: str = strawberry.field(description="Your password.")


@strawberry.input(description="Which sessions to end.")
class LogoutInput:
    all_sessions: bool | None = strawberry.field(
        default=False, description="End every session of yours, not only this one."
    )


@strawberry.type(description="The result of `logout`.")
class LogoutPayload(Payload):
    revoked_count: int | None = strawberry.field(
        default=None, description="How many tokens were revoked."
    )


@strawberry.input(description="Your current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password you use now.")
    new_password: str = strawberry.field(description="The new password: at least 10 characters.")


@strawberry.type(description="The result of `changePassword`.")
class ChangePasswordPayload(Payload):
    user: User | None = strawberry.field(default=None, description="You.")
    revoked_count: int | None = strawberry.field(
        default=None,
        description="How many of your other sessions were signed out; this one stays.",
    )


@strawberry.input(description="Confirm with your password.")
class DeleteAccountInput:
    password: str = strawberry.field(description="Your current password.")


@strawberry.type(description="The result of `deleteAccount`.")
class DeleteAccountPayload(Payload):
    deleted: bool = strawberry.field(
        default=False, description="True when the account was deleted; false on userErrors."
    )


@strawberry.input(description="The person to block.")
class BlockUserInput:
    user_id: strawberry.ID = strawberry.field(description="The person's ID.")


@strawberry.type(description="The result of `blockUser`.")
class BlockUserPayload(Payload):
    blocked_user: User | None = strawberry.field(default=None, description="The person blocked.")
    ended_pairs: list[LazyPair] | None = strawberry.field(
        default=None, description="The active pairs you shared with them, now ENDED."
    )


@strawberry.type
class UserQueries:
    @strawberry.field(description="You, when signed in; null when anonymous.")
    async def viewer(self, info: Info) -> User | None:
        viewer = await info.context.viewer()
        return User.of(viewer) if viewer else None

    @strawberry.field(
        description="Everything stored about you, as one JSON document: your profile, "
        "sessions (dates only), memberships, sign-ups with answers, pairs with milestones "
        "and check-ins, and the people you blocked. Others appear only by ID and name."
    )
    async def export_my_data(self, info: Info) -> JSON:
        viewer = await info.context.require_viewer()
        return await accounts.export_my_data(viewer, info.context.token_hash, encode_id)


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:  # type: ignore[valid-type]
        try:
            token, user = await accounts.register(
                input.email,
                input.password,
                input.name,
                input.birth_date,
                info.context.settings.token_ttl_days,
            )
        except DomainError as error:
            return RegisterPayload(user_errors=user_errors(error))
        info.context.sign_in(user, token)
        return RegisterPayload(token=token, user=User.of(user))

    @strawberry.mutation(description="Sign in with email and password.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:  # type: ignore[valid-type]
        try:
            token, user = await accounts.login(input.email, input.password, info.context.settings)
        except DomainError as error:
            return LoginPayload(user_errors=user_errors(error))
        info.context.sign_in(user, token)
        return LoginPayload(token=token, user=User.of(user))

    @strawberry.mutation(description="Sign out: revoke this token, or all of yours.")
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        viewer = await info.context.require_viewer()
        count = await accounts.logout(viewer, info.context.token_hash, bool(input.all_sessions))
        return LogoutPayload(revoked_count=count)

    @strawberry.mutation(
        description="Change your password. Every other session of yours is signed out; "
        "this one stays."
    )
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        viewer = await info.context.require_viewer()
        try:
            user, revoked = await accounts.change_password(
                viewer,
                info.context.token_hash,
                input.current_password,
                input.new_password,
                info.context.settings,
            )
        except DomainError as error:
            return ChangePasswordPayload(user_errors=user_errors(error))
        return ChangePasswordPayload(user=User.of(user), revoked_count=revoked)

    @strawberry.mutation(
        description="Delete your account: your personal data is erased and you are signed "
        "out everywhere. Your active pairs end; check-ins you wrote stay for the other "
        "member, shown as by 'Deleted user'."
    )
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DeleteAccountPayload:
        viewer = await info.context.require_viewer()
        try:
            await accounts.delete_account(viewer, input.password, info.context.settings)
        except DomainError as error:
            return DeleteAccountPayload(user_errors=user_errors(error))
        return DeleteAccountPayload(deleted=True)

    @strawberry.mutation(
        description="Block someone: the active pairs you share end, you cannot be paired "
        "again, and they no longer see your check-ins or sign-ups."
    )
    async def block_user(self, info: Info, input: BlockUserInput) -> BlockUserPayload:
        from schema.pairs import Pair

        viewer = await info.context.require_viewer()
        user_pk = pk_of(input.user_id, "User")
        try:
            blocked, ended = await blocks.block_user(viewer, user_pk)
        except DomainError as error:
            return BlockUserPayload(user_errors=user_errors(error))
        return BlockUserPayload(
            blocked_user=User.of(blocked), ended_pairs=[Pair.of(pair) for pair in ended]
        )
