"""Every refusal the domain can give, in one hierarchy.

Storage functions raise these; the bot turns each into polite Chinese in one place
(`bot.refusals`). Each class says what went wrong, never how to word it.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a user can cause."""


# --- something asked for does not exist ---------------------------------------------------


class NotFound(DomainError):
    """The request, organisation or invite does not exist (or is not visible to this user)."""


class RequestNotFound(NotFound):
    """No request has this number: `number` says which of the ones asked for."""

    def __init__(self, number: int) -> None:
        super().__init__(f"request #{number}")
        self.number = number


class OrganisationNotFound(NotFound):
    """No organisation has this number or name."""


class InviteInvalid(NotFound):
    """The invite code is unknown, expired or used; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invite {reason}")
        self.reason = reason


# --- the person may not do this -----------------------------------------------------------


class NotAllowed(DomainError):
    """The user's role or organisation does not permit this action."""


class NotStaff(NotAllowed):
    """The user belongs to no organisation."""


class NotAdmin(NotAllowed):
    """The user is not in ADMIN_IDS."""


class OrganisationBlacklisted(NotAllowed):
    """The organisation is blacklisted: no queue, no claims, no new staff."""

    def __init__(self, organisation_name: str) -> None:
        super().__init__(f"organisation {organisation_name} is blacklisted")
        self.organisation_name = organisation_name


class OutOfScope(NotAllowed):
    """The request's category or community is outside the organisation's scope."""


class NotYours(NotAllowed):
    """The request is held by another organisation (or, for a resident, filed by another)."""


class MergeNotAllowed(NotAllowed):
    """Staff may not merge request `number`: another organisation holds it, or it is outside
    their organisation's scope."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"request #{number} {message}")
        self.number = number


# --- the request is not in a state that allows it -----------------------------------------


class InvalidState(DomainError):
    """The request is not in a status that allows this action (e.g. already resolved)."""

    def __init__(self, status: str, message: str = "") -> None:
        super().__init__(message or f"request is {status}")
        self.status = status


class AlreadyAnswered(InvalidState):
    """The resident already said whether this resolution solved the problem."""


class AlreadyRated(InvalidState):
    """A resolution is rated once."""


class AlreadyClaimed(DomainError):
    """Someone else claimed the request first."""

    def __init__(self, organisation_name: str) -> None:
        super().__init__(f"already claimed by {organisation_name}")
        self.organisation_name = organisation_name


class ClaimedByYou(AlreadyClaimed):
    """The staff member's own organisation already has the request."""


class CannotMerge(DomainError):
    """Two requests cannot be merged: `reason` is "same", "keep_closed" or "merge_closed"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ResidentGone(DomainError):
    """The resident asked to be forgotten: nobody can write to them about this request."""


class DraftChanged(DomainError):
    """Another update (perhaps in another bot process) wrote the draft since it was read."""


# --- what was given cannot be accepted ----------------------------------------------------


class InvalidInput(DomainError):
    """A name, note, reason, category or rating that cannot be accepted."""

    def __init__(self, field: str, message: str = "") -> None:
        super().__init__(message or f"invalid {field}")
        self.field = field


class NameTaken(DomainError):
    """Another organisation already has this name."""


class AlreadyMember(DomainError):
    """A person belongs to at most one organisation."""

    def __init__(self, organisation_name: str) -> None:
        super().__init__(f"already a member of {organisation_name}")
        self.organisation_name = organisation_name


class LimitReached(DomainError):
    """A per-resident limit (requests a day) is reached."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"limit of {limit} reached")
        self.limit = limit


# --- service contracts (storage.contracts) -------------------------------------------------


class ContractNotFound(NotFound):
    """No service contract has this number."""

    def __init__(self, number: int) -> None:
        super().__init__(f"contract #{number}")
        self.number = number


class ContractEnded(DomainError):
    """The contract has already ended (its end date passed, or it was ended early)."""

    def __init__(self, number: int) -> None:
        super().__init__(f"contract #{number} has ended")
        self.number = number


class BlacklistedContractor(OrganisationBlacklisted):
    """A blacklisted organisation cannot be given a new service contract."""


class UnknownCommunities(InvalidInput):
    """Communities the gazetteer does not know (`names`, as given after normalisation)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("community", f"unknown communities: {', '.join(names)}")
        self.names = names
