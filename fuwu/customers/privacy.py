"""Personal information under PIPL: who sees a customer's full details, the one place the rule
lives (STYLE.md, lessons §2). Pages, API and portal only ask; `actions.reveal` enforces.

What is personal: a customer's phone number and e-mail address, and every case value whose
field is marked `personal:` in the procedure (phone, email, id_card, name, address; see
docs/procedure-format.md). Names are shown in full (people are addressed by name) and only
anonymised after the retention period (`fuwu.customers.retention`).

Who sees what (`Access`):
- FULL, directly: the site's customer-service agents (`agent`) and its managers (`manager`,
  `vp`, `admin`), superusers and the system; a customer sees their own details in full (the
  portal). They take calls and call back: a mask would only slow them down.
- REVEAL: the people working an *open* case of the customer — its assignee, and anyone with
  standing (member or overseer, `cases.policy.standing`) in the department that owns its
  current step. They see masks and reveal one value at a time with a reason; each reveal is a
  `RevealLog` row (who, when, which customer or case, which field, why) that managers read on
  the case page and in the admin. A closed case no longer justifies a reveal.
- MASKED: everyone else — technicians and guards outside the case, finance, quality control,
  staff of other departments: `138****5678`, `z***@example.com`, `1101**********1234`.

Searching by phone: a phone number is matched only when the search holds at least
`PHONE_SEARCH_MIN_DIGITS` digits, on every list (the customer search of the API and the intake
desk, the case queue's `CaseFilter.q`), so that typing fragments cannot tell whether a number
belongs to a customer. The API's customer search refuses a phone-like fragment outright
(`phone_search_too_short`); the intake desk says so under its results; the case queue still
finds case numbers and units by short digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from fuwu.core.actors import Actor
from fuwu.customers.masks import ANONYMISED, mask
from fuwu.procedures.engine.definition import FieldDef, FieldType, PersonalKind, Procedure
from fuwu.procedures.engine.errors import EngineError

if TYPE_CHECKING:
    from fuwu.cases.models import Case
    from fuwu.customers.models import Customer

# Roles that need the full details of their site's customers (see the module docstring).
FULL_ROLES = frozenset({"agent", "manager", "vp", "admin"})
PHONE_SEARCH_MIN_DIGITS = 7
# The customer's own details a case page shows, named as a reveal names them.
CUSTOMER_FIELDS: dict[str, PersonalKind] = {
    "phone": PersonalKind.PHONE,
    "email": PersonalKind.EMAIL,
}
CASE_CUSTOMER_PREFIX = "customer."

_PHONE_LIKE = re.compile(r"^[\d\s+\-()]+$")


class Access(StrEnum):
    FULL = "full"
    REVEAL = "reveal"
    MASKED = "masked"

    @property
    def masked(self) -> bool:
        return self is not Access.FULL


# -- who ----------------------------------------------------------------------------------------


def sees_full(actor: Actor, site_id: int, *, owner_user_id: int | None = None) -> bool:
    """Full details of this site's customers without a reveal (no query)."""
    if actor.superuser:
        return True
    if owner_user_id is not None and actor.user_id == owner_user_id:
        return True  # the customer themself
    if actor.is_customer:
        return False
    return site_id in actor.site_ids and bool(actor.roles & FULL_ROLES)


def may_merge(actor: Actor, site_id: int) -> bool:
    """Merging two customer records of a site (and undoing it) is for the people who hold the
    site's customer files in full: its agents and managers (and superusers). They compare both
    records' contacts to decide, which nobody else may read."""
    return actor.user is not None and not actor.is_customer and sees_full(actor, site_id)


def works_case(actor: Actor, case: Case) -> bool:
    """Does this person work the open case: its assignee, or standing in its department?"""
    from fuwu.cases.choices import CLOSED_STATUSES
    from fuwu.cases.policy import Standing, standing

    if actor.user_id is None or actor.is_customer or case.status in CLOSED_STATUSES:
        return False
    if case.assignee_id == actor.user_id:
        return True
    return standing(actor, case.site_id, case.department_id) is not Standing.NONE


def _owner_user_id(case: Case) -> int | None:
    return case.customer.user_id if case.customer_id is not None and case.customer else None


def case_access(actor: Actor, case: Case) -> Access:
    """What this person sees of the case's personal values (and its customer's details)."""
    if sees_full(actor, case.site_id, owner_user_id=_owner_user_id(case)):
        return Access.FULL
    return Access.REVEAL if works_case(actor, case) else Access.MASKED


def customer_access(actor: Actor, customer: Customer) -> Access:
    """What this person sees of a customer's details: REVEAL needs an open case of theirs that
    the person works (one query)."""
    if sees_full(actor, customer.site_id, owner_user_id=customer.user_id):
        return Access.FULL
    if actor.is_customer or not actor.may_see_site(customer.site_id):
        return Access.MASKED
    from fuwu.cases.choices import CLOSED_STATUSES
    from fuwu.cases.models import Case

    cases = Case.objects.filter(customer_id=customer.pk).exclude(status__in=CLOSED_STATUSES)
    for case in cases.only("pk", "site_id", "department_id", "assignee_id", "status")[:50]:
        if works_case(actor, case):
            return Access.REVEAL
    return Access.MASKED


# -- what they see ------------------------------------------------------------------------------


def customer_value(customer: Customer, name: str, access: Access) -> str:
    """A customer's phone or e-mail as this access reads it."""
    value: str = getattr(customer, name)
    kind = CUSTOMER_FIELDS.get(name)
    return mask(kind, value) if kind is not None and access.masked else value


def personal_fields(procedure: Procedure) -> dict[str, FieldDef]:
    """The procedure's fields that hold personal values, or line items with such a column."""
    return {
        key: f
        for key, f in procedure.all_fields().items()
        if f.personal is not None or any(c.personal is not None for c in f.columns or [])
    }


def _rewrite(f: FieldDef, raw: Any, how: Callable[[PersonalKind, Any], Any]) -> Any:
    if f.type is FieldType.LINES and isinstance(raw, list):
        columns = {c.key: c for c in f.columns or [] if c.personal is not None}
        return [
            {k: _rewrite(columns[k], v, how) if k in columns else v for k, v in row.items()}
            if isinstance(row, Mapping)
            else row
            for row in raw
        ]
    if f.personal is None:
        return raw
    return how(f.personal, raw)


def _rewrite_values(
    procedure: Procedure, values: Mapping[str, Any], how: Callable[[PersonalKind, Any], Any]
) -> dict[str, Any]:
    fields = personal_fields(procedure)
    return {k: _rewrite(fields[k], v, how) if k in fields else v for k, v in values.items()}


def mask_values(procedure: Procedure, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of case values (`Case.data`, an event's `values`) with personal ones masked."""
    return _rewrite_values(procedure, values, mask)


def _erase(_kind: PersonalKind, value: Any) -> Any:
    return ANONYMISED if isinstance(value, str) and value.strip() else value


def anonymise_values(procedure: Procedure, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of case values with every personal one (names too) replaced by `ANONYMISED`:
    what the retention period leaves (fuwu.customers.retention)."""
    return _rewrite_values(procedure, values, _erase)


def case_data(actor: Actor, case: Case, procedure: Procedure) -> dict[str, Any]:
    """The case's values as this person may read them."""
    if not case_access(actor, case).masked:
        return dict(case.data)
    return mask_values(procedure, case.data)


def mask_event(procedure: Procedure, data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's payload with the personal values it carries masked."""
    values = data.get("values")
    if not isinstance(values, Mapping):
        return dict(data)
    return {**data, "values": mask_values(procedure, values)}


# -- searching by phone -------------------------------------------------------------------------


def phone_search(text: str) -> str | None:
    """The digits to match phone numbers with, or None when there are too few (a fragment
    is never matched against phone numbers)."""
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) >= PHONE_SEARCH_MIN_DIGITS else None


def customer_match(text: str) -> Q:
    """The one rule for finding customers by what a caller says: name or unit/plate as typed,
    and the phone number only from PHONE_SEARCH_MIN_DIGITS digits (a fragment is no oracle).
    Used by the intake desk, the API and the merge page; join `assets`, so callers distinct()."""
    match = Q(name__icontains=text) | Q(assets__label__icontains=text)
    if digits := phone_search(text):
        match |= Q(phone__contains=digits)
    return match


def phone_fragment(text: str) -> bool:
    """A search that can only mean a phone number, and too short a one."""
    text = text.strip()
    return bool(text) and bool(_PHONE_LIKE.match(text)) and phone_search(text) is None


def check_phone_search(text: str) -> None:
    """Refuse a phone-number fragment (`phone_search_too_short`, in the user's language)."""
    if phone_fragment(text):
        raise EngineError("phone_search_too_short", min=PHONE_SEARCH_MIN_DIGITS)
