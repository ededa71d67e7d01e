"""Who may print and sign a case's documents (the actions enforce it, the pages ask it)."""

from __future__ import annotations

from fuwu.cases import policy as case_policy
from fuwu.cases.models import Case
from fuwu.core.actors import Actor


def may_print(actor: Actor, case: Case) -> bool:
    """Staff who may see the case print its documents (the case's visibility is checked when
    it is read: a case they may not see is a 404). Not the customer: the portal prints none."""
    return not actor.is_customer and not actor.is_system


def may_take_signature(actor: Actor, case: Case) -> bool:
    """A customer's signature is an attachment of the case: the people who may attach files
    (its assignee, the owning department and those above them) hold the tablet."""
    return not case.is_closed and case_policy.may_attach(actor, case)
