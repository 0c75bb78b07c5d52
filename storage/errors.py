"""Domain errors: raised by storage functions, turned into polite Chinese by the bot."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a user can cause."""


class NotFound(DomainError):
    """The request, organisation or invite does not exist (or is not visible to this user)."""


class NotAllowed(DomainError):
    """The user's role or organisation does not permit this action."""


class InvalidState(DomainError):
    """The request is not in a status that allows this action (e.g. already resolved)."""

    def __init__(self, status: str, message: str = "") -> None:
        super().__init__(message or f"request is {status}")
        self.status = status


class AlreadyClaimed(DomainError):
    """Someone else claimed the request first."""

    def __init__(self, organisation_name: str) -> None:
        super().__init__(f"already claimed by {organisation_name}")
        self.organisation_name = organisation_name


class LimitReached(DomainError):
    """A per-resident limit (requests a day) is reached."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"limit of {limit} reached")
        self.limit = limit
