"""The data and its constraints. One module per domain; Tortoise discovers them here."""

from models.blocks import Block, LoginThrottle
from models.events import PairEvent
from models.groups import Group, GroupMembership
from models.idempotency import IdempotencyKey
from models.matching import MatchingWeight
from models.notifications import CheckInReminder, Notification
from models.pairs import CheckIn, Milestone, Pair
from models.programs import Program, ProgramStep, SignUpQuestion
from models.signups import Answer, SignUp
from models.users import AuthToken, User

__all__ = [
    "Answer",
    "AuthToken",
    "Block",
    "CheckIn",
    "CheckInReminder",
    "Group",
    "GroupMembership",
    "IdempotencyKey",
    "LoginThrottle",
    "MatchingWeight",
    "Milestone",
    "Notification",
    "Pair",
    "PairEvent",
    "Program",
    "ProgramStep",
    "SignUp",
    "SignUpQuestion",
    "User",
]
