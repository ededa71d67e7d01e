"""Every write to customers (客户档案) and assets (服务对象) goes through these actions.

One rule set for the API, the intake page, the portal (request and sign-up) and the write-back
effects of procedures: no value past the input limits (`fuwu.core.limits`: JSON depth and
size, no NUL), a phone number is digits (may start with +, may hold spaces or -), an
e-mail looks like one, a record belongs to a site the actor may see, a staff-made customer may
not reuse a phone number another customer of the site has, an asset's (site, kind, label) is
unique and its owner is a customer of the same site.

Each action validates everything first and reports every problem at once
(`EngineError("invalid_form", fields=...)`, a `Conflict` for a label already registered), then
writes in one transaction together with a `RecordChange` row: the audit of who changed which
record, when, from what to what. Bad input changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fuwu.core import limits
from fuwu.core.actors import Actor
from fuwu.customers import privacy
from fuwu.customers.choices import AssetKind, RecordAction, RevealReason
from fuwu.customers.models import Asset, Customer, RecordChange, RevealLog
from fuwu.procedures.engine.definition import PersonalKind
from fuwu.procedures.engine.errors import Conflict, EngineError, FieldError, Forbidden, NotFound

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,28}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 100
LABEL_MAX = 100


def check_phone(phone: str) -> FieldError | None:
    """A phone number's form (blank is allowed here: whether one is needed is the page's call)."""
    if phone and not PHONE_RE.match(phone):
        return FieldError("bad_phone")
    return None


def _check_contact(
    errors: dict[str, FieldError],
    *,
    site_id: int,
    phone: str,
    email: str,
    unique_phone: bool,
    exclude: int | None = None,
) -> None:
    if error := check_phone(phone):
        errors["phone"] = error
    elif phone and unique_phone:
        others = Customer.objects.live().filter(site_id=site_id, phone=phone)
        same = (others.exclude(pk=exclude) if exclude is not None else others).first()
        if same is not None:
            errors["phone"] = FieldError("duplicate_phone", name=same.name)
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors["email"] = FieldError("bad_email")


def _check_site(actor: Actor, site_id: int, errors: dict[str, FieldError]) -> None:
    if not actor.may_see_site(site_id):
        errors["site"] = FieldError("bad_choice", options="")


def _check_asset(
    errors: dict[str, FieldError],
    *,
    site_id: int,
    kind: str,
    label: str,
    owner_id: int | None,
    prefix: str = "",
) -> None:
    if kind not in AssetKind.values:
        errors[prefix + "kind"] = FieldError("bad_choice", options=", ".join(AssetKind.values))
    if not label:
        errors[prefix + "label"] = FieldError("required")
    elif len(label) > LABEL_MAX:
        errors[prefix + "label"] = FieldError("too_long", max=LABEL_MAX)
    if (
        owner_id is not None
        and not Customer.objects.live().filter(pk=owner_id, site_id=site_id).exists()
    ):
        errors[prefix + "owner_id"] = FieldError("not_on_site")


def _taken(label: str, prefix: str = "") -> Conflict:
    return Conflict("conflict", reason=label, fields={prefix + "label": FieldError("asset_taken")})


def _record(
    actor: Actor,
    action: RecordAction,
    *,
    site_id: int,
    customer: Customer | None = None,
    asset: Asset | None = None,
    changes: dict[str, dict[str, Any]],
    case_id: int | None = None,
) -> RecordChange:
    return RecordChange.objects.create(
        site_id=site_id,
        customer=customer,
        asset=asset,
        action=action,
        actor=actor.user,
        case_id=case_id,
        at=timezone.now(),
        changes=changes,
    )


def _created(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"from": None, "to": v} for k, v in values.items() if v not in ("", None, {})}


@transaction.atomic
def create_customer(
    actor: Actor,
    *,
    site_id: int,
    name: str,
    phone: str = "",
    email: str = "",
    preferences: dict[str, Any] | None = None,
    language: str | None = None,
    user: Any = None,
    asset_kind: str = "",
    asset_label: str = "",
) -> Customer:
    """Create a customer record (with their first asset when `asset_kind`/`asset_label` given).

    A record staff create may not reuse a phone number of another customer of the site (search
    and choose them instead). A portal account's own record (`user`) may: a phone number cannot
    be verified without SMS, so an earlier record with it is never linked to the account, and
    the account still needs a record of its own. Errors of the asset come as `asset_kind`,
    `asset_label`. Writes a `created` RecordChange for each record.
    """
    name, phone, email = name.strip(), phone.strip(), email.strip().lower()
    asset_label = asset_label.strip()
    errors = limits.field_errors(
        {"name": name, "phone": phone, "email": email, "preferences": preferences or {}}
    )
    _check_site(actor, site_id, errors)
    if not name:
        errors["name"] = FieldError("required")
    elif len(name) > NAME_MAX:
        errors["name"] = FieldError("too_long", max=NAME_MAX)
    if "phone" not in errors:
        _check_contact(errors, site_id=site_id, phone=phone, email=email, unique_phone=user is None)
    if asset_kind or asset_label:
        _check_asset(
            errors,
            site_id=site_id,
            kind=asset_kind,
            label=asset_label,
            owner_id=None,
            prefix="asset_",
        )
        if not asset_kind:
            errors["asset_kind"] = FieldError("required")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    values: dict[str, Any] = {
        "name": name,
        "phone": phone,
        "email": email,
        "preferences": dict(preferences or {}),
    }
    if language:
        values["language"] = language
    customer = Customer.objects.create(site_id=site_id, user=user, **values)
    _record(
        actor,
        RecordAction.CREATED,
        site_id=site_id,
        customer=customer,
        changes=_created(values),
    )
    if asset_kind:
        _new_asset(
            actor,
            site_id=site_id,
            kind=asset_kind,
            label=asset_label,
            owner=customer,
            attributes={},
            prefix="asset_",
        )
    return customer


def _new_asset(
    actor: Actor,
    *,
    site_id: int,
    kind: str,
    label: str,
    owner: Customer | None,
    attributes: dict[str, Any],
    prefix: str = "",
) -> Asset:
    if Asset.objects.filter(site_id=site_id, kind=kind, label=label).exists():
        raise _taken(label, prefix)
    try:
        with transaction.atomic():  # a savepoint: the race's IntegrityError leaves the rest
            asset = Asset.objects.create(
                site_id=site_id, kind=kind, label=label, owner=owner, attributes=attributes
            )
    except IntegrityError:  # registered a moment ago by someone else
        raise _taken(label, prefix) from None
    values = {"kind": kind, "label": label, "owner": owner.pk if owner else None}
    _record(
        actor,
        RecordAction.CREATED,
        site_id=site_id,
        asset=asset,
        changes=_created({**values, "attributes": attributes}),
    )
    return asset


@transaction.atomic
def create_asset(
    actor: Actor,
    *,
    site_id: int,
    kind: str,
    label: str,
    owner_id: int | None = None,
    attributes: dict[str, Any] | None = None,
) -> Asset:
    """Create an asset: a unit, vehicle, item of equipment … of a site the actor may see.

    The owner, when given, is a customer of the same site. A (site, kind, label) already
    registered is a `Conflict` (409) whose field error is on `label`. Writes a `created`
    RecordChange.
    """
    label = label.strip()
    errors = limits.field_errors({"label": label, "attributes": attributes or {}})
    _check_site(actor, site_id, errors)
    _check_asset(errors, site_id=site_id, kind=kind, label=label, owner_id=owner_id)
    if errors:
        raise EngineError("invalid_form", fields=errors)
    owner = Customer.objects.get(pk=owner_id) if owner_id is not None else None
    return _new_asset(
        actor,
        site_id=site_id,
        kind=kind,
        label=label,
        owner=owner,
        attributes=dict(attributes or {}),
    )


@dataclass(frozen=True)
class Updated:
    """What an update changed: `{key: {"from": old, "to": new}}` (empty when nothing did)."""

    record: Customer | Asset
    changes: dict[str, dict[str, Any]]


def _merge(
    current: dict[str, Any], new: dict[str, Any], prefix: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`new` laid over `current` (None removes a key) and the changes, keyed `prefix.key`."""
    merged = dict(current)
    changes: dict[str, dict[str, Any]] = {}
    for key, value in new.items():
        old = current.get(key)
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
        if old != value:
            changes[f"{prefix}.{key}"] = {"from": old, "to": value}
    return merged, changes


@transaction.atomic
def update_customer(
    actor: Actor,
    customer_id: int,
    *,
    preferences: dict[str, Any] | None = None,
    phone: str | None = None,
    email: str | None = None,
    consent_contact: bool | None = None,
    case_id: int | None = None,
) -> Updated:
    """Change a customer's preferences (merged: the keys given, None removes one) or contact.

    The customer is locked; the same contact rules as at creation apply. Writes an `updated`
    RecordChange naming `case_id` when a case's effect made the change; nothing when nothing
    changed.
    """
    limits.check_fields(phone=phone or "", email=email or "", preferences=preferences or {})
    customer = actor.scope(Customer.objects.select_for_update()).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("not_found", what="customer")
    errors: dict[str, FieldError] = {}
    phone = customer.phone if phone is None else phone.strip()
    email = customer.email if email is None else email.strip().lower()
    _check_contact(
        errors,
        site_id=customer.site_id,
        phone=phone,
        email=email,
        unique_phone=customer.user_id is None and phone != customer.phone,
        exclude=customer.pk,
    )
    if errors:
        raise EngineError("invalid_form", fields=errors)
    merged, changes = _merge(customer.preferences, preferences or {}, "preferences")
    limits.check_fields(preferences=merged)  # the stored whole, not only the keys given
    for name, value in (("phone", phone), ("email", email), ("consent_contact", consent_contact)):
        old = getattr(customer, name)
        if value is not None and value != old:
            changes[name] = {"from": old, "to": value}
            setattr(customer, name, value)
    if changes:
        customer.preferences = merged
        customer.save(update_fields=["preferences", "phone", "email", "consent_contact"])
        _record(
            actor,
            RecordAction.UPDATED,
            site_id=customer.site_id,
            customer=customer,
            changes=changes,
            case_id=case_id,
        )
    return Updated(customer, changes)


@transaction.atomic
def update_asset(
    actor: Actor, asset_id: int, *, attributes: dict[str, Any], case_id: int | None = None
) -> Updated:
    """Change an asset's attributes (merged: the keys given, None removes one).

    The asset is locked. Writes an `updated` RecordChange naming `case_id` when a case's effect
    made the change; nothing when nothing changed.
    """
    limits.check_fields(attributes=attributes)
    asset = actor.scope(Asset.objects.select_for_update()).filter(pk=asset_id).first()
    if asset is None:
        raise NotFound("not_found", what="asset")
    merged, changes = _merge(asset.attributes, attributes, "attributes")
    limits.check_fields(attributes=merged)  # the stored whole, not only the keys given
    if changes:
        asset.attributes = merged
        asset.save(update_fields=["attributes"])
        _record(
            actor,
            RecordAction.UPDATED,
            site_id=asset.site_id,
            asset=asset,
            changes=changes,
            case_id=case_id,
        )
    return Updated(asset, changes)


@transaction.atomic
def link_account(actor: Actor, customer_id: int, *, user: Any, language: str) -> Customer | None:
    """Link a portal account to an earlier customer record the person proved is theirs.

    None when the record is gone, already has an account or was merged into another (the
    caller then creates the account's own record). Writes an `updated` RecordChange (`user`,
    `language`).
    """
    customer = (
        actor.scope(Customer.objects.live().select_for_update())
        .filter(pk=customer_id, user__isnull=True)
        .first()
    )
    if customer is None:  # gone, taken, or merged into another since the code was sent
        return None
    changes = {"user": {"from": None, "to": user.pk}}
    if customer.language != language:
        changes["language"] = {"from": customer.language, "to": language}
    customer.user, customer.language = user, language
    customer.save(update_fields=["user", "language"])
    _record(
        actor, RecordAction.UPDATED, site_id=customer.site_id, customer=customer, changes=changes
    )
    return customer


def _plain(record: Customer | Asset, name: str) -> Any:
    """A model field's value as the history stores it: ids for related records."""
    field = record._meta.get_field(name)
    return getattr(record, getattr(field, "attname", name))


def record_admin_edit(
    actor: Actor, record: Customer | Asset, *, before: Customer | Asset | None, names: list[str]
) -> None:
    """The history row for an edit made in the Django admin (which saves the model itself):
    the fields the admin form changed, old → new; a new record lists its values."""
    changes = {
        name: {"from": _plain(before, name) if before else None, "to": _plain(record, name)}
        for name in names
    }
    if before is not None:
        changes = {k: v for k, v in changes.items() if v["from"] != v["to"]}
    if not changes:
        return
    _record(
        actor,
        RecordAction.UPDATED if before is not None else RecordAction.CREATED,
        site_id=record.site_id,
        customer=record if isinstance(record, Customer) else None,
        asset=record if isinstance(record, Asset) else None,
        changes=changes,
    )


# -- revealing a masked personal value (PIPL) ---------------------------------------------------

NOTE_MAX = 200


@dataclass(frozen=True)
class Revealed:
    field: str
    kind: PersonalKind
    value: Any
    log: RevealLog


def _check_reason(reason: str, note: str) -> None:
    errors: dict[str, FieldError] = {}
    if reason not in RevealReason.values:
        errors["reason"] = FieldError("bad_choice", options=", ".join(RevealReason.values))
    if len(note) > NOTE_MAX:
        errors["note"] = FieldError("too_long", max=NOTE_MAX)
    if errors:
        raise EngineError("invalid_form", fields=errors)


def _not_personal() -> EngineError:
    return EngineError("invalid_form", fields={"field": FieldError("not_personal")})


@transaction.atomic
def reveal(
    actor: Actor,
    *,
    field: str,
    reason: str,
    note: str = "",
    customer_id: int | None = None,
    case_id: int | None = None,
) -> Revealed:
    """One personal value in full, for a customer (`phone`, `email`) or a case
    (`customer.phone`, `customer.email`, or a data field marked `personal:`).

    Preconditions: the record is one the actor may see (else 404) and `privacy` lets them see
    or reveal its details (else `reveal_not_allowed`, 403); the reason is a `RevealReason`.
    Writes one `RevealLog` row in the same transaction as the value is read: no value leaves
    without its log. Queues nothing.
    """
    note = note.strip()
    _check_reason(reason, note)
    customer: Customer | None
    if case_id is not None:
        from fuwu.cases.queries import get_case_for
        from fuwu.procedures.registry import definition_of

        case = get_case_for(actor, case_id)
        access = privacy.case_access(actor, case)
        site_id, customer = case.site_id, case.customer
        if field.startswith(privacy.CASE_CUSTOMER_PREFIX):
            name = field.removeprefix(privacy.CASE_CUSTOMER_PREFIX)
            if customer is None or name not in privacy.CUSTOMER_FIELDS:
                raise _not_personal()
            kind, value = privacy.CUSTOMER_FIELDS[name], getattr(customer, name)
        else:
            found = privacy.personal_fields(definition_of(case.procedure)).get(field)
            if found is None:
                raise _not_personal()
            kind = found.personal or next(c.personal for c in found.columns or [] if c.personal)
            value = case.data.get(field)
    elif customer_id is not None:
        customer = actor.scope(Customer.objects).filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("not_found", what="customer")
        if field not in privacy.CUSTOMER_FIELDS:
            raise _not_personal()
        access = privacy.customer_access(actor, customer)
        site_id, kind, value = (
            customer.site_id,
            privacy.CUSTOMER_FIELDS[field],
            getattr(customer, field),
        )
    else:
        raise EngineError("bad_request", reason="customer_id or case_id")
    if access is privacy.Access.MASKED or actor.user is None:
        raise Forbidden("reveal_not_allowed")
    log = RevealLog.objects.create(
        site_id=site_id,
        actor=actor.user,
        at=timezone.now(),
        customer=customer,
        case_id=case_id,
        field=field,
        reason=reason,
        note=note,
    )
    return Revealed(field=field, kind=kind, value=value, log=log)
