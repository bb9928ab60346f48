"""The product's fixed sets. One Python enum each, shared by the models and the schema."""

from enum import StrEnum


class GroupCategory(StrEnum):
    PARENTING = "PARENTING"
    PROFESSIONAL_DEVELOPMENT = "PROFESSIONAL_DEVELOPMENT"
    PERSONAL_DEVELOPMENT = "PERSONAL_DEVELOPMENT"
    EDUCATION = "EDUCATION"
    CRISIS_RECOVERY = "CRISIS_RECOVERY"
    HOBBIES = "HOBBIES"
    OTHER = "OTHER"

    @property
    def mentorship_eligible(self) -> bool:
        """Mentorship is offered only in the first five categories."""
        return self not in (GroupCategory.HOBBIES, GroupCategory.OTHER)


class GroupRole(StrEnum):
    ADMIN = "ADMIN"
    MODERATOR = "MODERATOR"
    MEMBER = "MEMBER"


class ProgramTemplate(StrEnum):
    CAREER_ADVANCEMENT = "CAREER_ADVANCEMENT"
    SKILL_DEVELOPMENT = "SKILL_DEVELOPMENT"
    ENCOURAGEMENT_AND_SUPPORT = "ENCOURAGEMENT_AND_SUPPORT"


class ProgramStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class MentorshipRole(StrEnum):
    MENTOR = "MENTOR"
    MENTEE = "MENTEE"


class SignUpStatus(StrEnum):
    PENDING = "PENDING"
    MATCHED = "MATCHED"
    WITHDRAWN = "WITHDRAWN"


class PairStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    ENDED = "ENDED"


class MilestoneKind(StrEnum):
    INTRODUCTIONS = "INTRODUCTIONS"
    GOAL_SETTING = "GOAL_SETTING"
    RESOURCE_SHARING = "RESOURCE_SHARING"
    SKILL_KNOWLEDGE = "SKILL_KNOWLEDGE"
    PLANNING = "PLANNING"
    ACTION = "ACTION"
    REFLECTION = "REFLECTION"
    CUSTOM = "CUSTOM"


class PairEventKind(StrEnum):
    MILESTONE_COMPLETED = "MILESTONE_COMPLETED"
    CHECK_IN_POSTED = "CHECK_IN_POSTED"
    PAIR_COMPLETED = "PAIR_COMPLETED"
    PAIR_ENDED = "PAIR_ENDED"


class QuestionKind(StrEnum):
    TEXT = "TEXT"
    SINGLE_CHOICE = "SINGLE_CHOICE"
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE"


class NotificationKind(StrEnum):
    PAIRED = "PAIRED"
    PAIR_ENDED = "PAIR_ENDED"
    PAIR_COMPLETED = "PAIR_COMPLETED"
    CHECK_IN_REMINDER = "CHECK_IN_REMINDER"
