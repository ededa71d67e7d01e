"""Merging a duplicate customer record into the one kept, and undoing it within a day.

The customers' write path for merges (split from `actions.py` along its seam; the history rows
go through the same `_record`). Two records of one person arise easily: an agent creates one at
the phone, the person signs up in the portal with another. `merge` moves everything that hangs
on the duplicate to the record kept, in one transaction:

- its cases (each through `cases.actions.move_to_customer`, which writes a `customer_updated`
  event naming the merge, so the case's timeline shows it),
- its assets (each with a `merged` RecordChange: owner old → new),
- its portal account (the `user` link), consultations, reveal logs and record history.

The duplicate is not deleted: it is hidden (`merged_into`, left out of searches, pickers and the
portal's account linking) and a `CustomerMerge` row lists exactly the ids that moved, so
`unmerge` can move back exactly those — and nothing added to the kept record since — within
`UNDO_WINDOW`. The kept record keeps its own name and contacts.

Refused (and nothing changed): by anyone but the site's agents and managers
(`privacy.may_merge`), for records of different sites, when both have a portal account (one
person, one account: unlink one in the admin first — which of two accounts to keep is not a
choice to make here), for a record already merged, and a record with itself.

Locks: both customer rows, lowest id first (two merges of the same pair cannot interleave),
then each moved case. Nothing is queued: a merge notifies nobody.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Func, QuerySet, Value
from django.utils import timezone

from fuwu.cases.models import Case, Consultation
from fuwu.core.actors import Actor
from fuwu.customers import privacy
from fuwu.customers.actions import _record
from fuwu.customers.choices import RecordAction
from fuwu.customers.models import Asset, Customer, CustomerMerge, RecordChange, RevealLog
from fuwu.procedures.engine.errors import EngineError, Forbidden, NotFound

UNDO_WINDOW = timedelta(hours=24)
DUPLICATES_MAX = 10
# Compared on the last digits (a national number; a +86/0086 prefix does not matter).
_PHONE_DIGITS = 11
_SEPARATORS = (" ", "-", "+", "(", ")", "\u00a0")


def normalised_phone(phone: str) -> str:
    """The digits that identify a phone number: separators and a China country prefix dropped
    (`+86 138-1234-5678` and `13812345678` are one number)."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= _PHONE_DIGITS:
            return digits[len(prefix) :]
    return digits


def _digits_sql(column: str) -> Func | F:
    """The column with separators removed, in SQL (the same on SQLite and PostgreSQL)."""
    expr: Func | F = F(column)
    for sep in _SEPARATORS:
        expr = Func(expr, Value(sep), Value(""), function="REPLACE")
    return expr


def duplicates(customer: Customer, *, limit: int = DUPLICATES_MAX) -> list[Customer]:
    """Other records of the customer's site with the same normalised phone number: the
    suggestions a merge page offers (one query; the last digits match in SQL, the whole
    normalised number in Python)."""
    number = normalised_phone(customer.phone)
    if len(number) < privacy.PHONE_SEARCH_MIN_DIGITS:
        return []
    tail = number[-min(len(number), 8) :]
    candidates = (
        Customer.objects.live()
        .filter(site_id=customer.site_id)
        .exclude(pk=customer.pk)
        .alias(digits=_digits_sql("phone"))
        .filter(digits__endswith=tail)
        .order_by("created_at", "pk")
    )
    found: list[Customer] = []
    for c in candidates[: limit * 3]:
        if normalised_phone(c.phone) == number and len(found) < limit:
            found.append(c)
    return found


@dataclass(frozen=True)
class Moves:
    """The ids that move from the duplicate to the record kept (`CustomerMerge.moved`)."""

    cases: list[int] = field(default_factory=list)
    assets: list[int] = field(default_factory=list)
    consultations: list[int] = field(default_factory=list)
    reveals: list[int] = field(default_factory=list)
    changes: list[int] = field(default_factory=list)
    user: int | None = None

    @classmethod
    def of(cls, merged: Customer) -> Moves:
        """What merging this record would move now (five small queries)."""

        def ids(qs: QuerySet[Any]) -> list[int]:
            return list(qs.order_by("pk").values_list("pk", flat=True))

        return cls(
            cases=ids(Case.objects.filter(customer_id=merged.pk)),
            assets=ids(Asset.objects.filter(owner_id=merged.pk)),
            consultations=ids(Consultation.objects.filter(customer_id=merged.pk)),
            reveals=ids(RevealLog.objects.filter(customer_id=merged.pk)),
            changes=ids(RecordChange.objects.filter(customer_id=merged.pk)),
            user=merged.user_id,
        )

    @classmethod
    def stored(cls, data: dict[str, Any]) -> Moves:
        """The moves a `CustomerMerge.moved` lists."""

        def ids(name: str) -> list[int]:
            return [int(i) for i in data.get(name) or []]

        user = data.get("user")
        return cls(
            cases=ids("cases"),
            assets=ids("assets"),
            consultations=ids("consultations"),
            reveals=ids("reveals"),
            changes=ids("changes"),
            user=user if isinstance(user, int) else None,
        )


def _visible(actor: Actor, customer_id: int, *, lock: bool = False) -> Customer:
    qs = Customer.objects.select_for_update() if lock else Customer.objects
    customer = actor.scope(qs).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("not_found", what="customer")
    return customer


def check_merge(kept: Customer, merged: Customer, actor: Actor) -> None:
    """Why these two records may not be merged by this person (raises), else nothing."""
    if not privacy.may_merge(actor, kept.site_id) or not privacy.may_merge(actor, merged.site_id):
        raise Forbidden("merge_not_allowed")
    if kept.pk == merged.pk:
        raise EngineError("merge_same_record")
    if kept.site_id != merged.site_id:
        raise EngineError("merge_other_site")
    if kept.merged_into_id is not None or merged.merged_into_id is not None:
        raise EngineError("merge_already_merged")
    if kept.user_id is not None and merged.user_id is not None:
        raise EngineError("merge_two_accounts")


def preview(actor: Actor, kept_id: int, merged_id: int) -> tuple[Customer, Customer, Moves]:
    """The two records and what a merge would move; raises what `merge` would refuse."""
    kept, merged = _visible(actor, kept_id), _visible(actor, merged_id)
    check_merge(kept, merged, actor)
    return kept, merged, Moves.of(merged)


def _lock_pair(actor: Actor, a: int, b: int) -> tuple[Customer, Customer]:
    first = _visible(actor, min(a, b), lock=True)
    second = _visible(actor, max(a, b), lock=True) if a != b else first
    return (first, second) if first.pk == a else (second, first)


def _move(
    actor: Actor,
    moves: Moves,
    *,
    source: Customer,
    target: Customer,
    merge_id: int,
    undo: bool,
) -> None:
    """Move the listed rows still on `source` to `target` (the same for merge and undo)."""
    from fuwu.cases.actions import move_to_customer

    action = RecordAction.UNMERGED if undo else RecordAction.MERGED
    for case_id in moves.cases:
        move_to_customer(
            actor, case_id, from_id=source.pk, to_id=target.pk, merge_id=merge_id, undo=undo
        )
    for asset in Asset.objects.select_for_update().filter(pk__in=moves.assets, owner=source):
        asset.owner = target
        asset.save(update_fields=["owner"])
        _record(
            actor,
            action,
            site_id=asset.site_id,
            asset=asset,
            changes={"owner": {"from": source.pk, "to": target.pk}, "merge": _named(merge_id)},
        )
    Consultation.objects.filter(pk__in=moves.consultations, customer=source).update(customer=target)
    RevealLog.objects.filter(pk__in=moves.reveals, customer=source).update(customer=target)
    RecordChange.objects.filter(pk__in=moves.changes, customer=source).update(customer=target)


def _named(merge_id: int) -> dict[str, int | None]:
    return {"from": None, "to": merge_id}


@transaction.atomic
def merge(actor: Actor, kept_id: int, merged_id: int) -> CustomerMerge:
    """Merge the record `merged_id` into `kept_id` (see the module docstring).

    Preconditions: `check_merge`. Writes the `CustomerMerge` row; a `merged` RecordChange on
    each record (`merged_into`/`merged_record`, and `user` when the portal account moves) and on
    each moved asset; a `customer_updated` event on each moved case. Queues nothing.
    """
    kept, merged = _lock_pair(actor, kept_id, merged_id)
    check_merge(kept, merged, actor)
    moves = Moves.of(merged)
    now = timezone.now()
    done = CustomerMerge.objects.create(
        site_id=kept.site_id,
        kept=kept,
        merged=merged,
        actor=actor.user,
        at=now,
        moved=asdict(moves),
    )
    user_change = {}
    if moves.user is not None:
        # One account, one record (a unique link): off the duplicate before onto the kept one.
        merged.user = None
        merged.save(update_fields=["user"])
        kept.user_id = moves.user
        kept.save(update_fields=["user"])
        user_change = {"user": {"from": None, "to": moves.user}}
    _move(actor, moves, source=merged, target=kept, merge_id=done.pk, undo=False)
    merged.merged_into = kept
    merged.save(update_fields=["merged_into"])
    _record(
        actor,
        RecordAction.MERGED,
        site_id=kept.site_id,
        customer=kept,
        changes={"merged_record": {"from": None, "to": merged.pk}, **user_change},
    )
    gone = {"user": {"from": moves.user, "to": None}} if moves.user is not None else {}
    _record(
        actor,
        RecordAction.MERGED,
        site_id=kept.site_id,
        customer=merged,
        changes={"merged_into": {"from": None, "to": kept.pk}, **gone},
    )
    return done


def undo_until(done: CustomerMerge) -> datetime:
    return done.at + UNDO_WINDOW


def undoable(done: CustomerMerge, *, now: datetime | None = None) -> bool:
    return done.undone_at is None and (now or timezone.now()) <= undo_until(done)


def latest_merge(actor: Actor, customer_id: int) -> CustomerMerge | None:
    """The newest merge not undone in which this record was kept or merged (what an undo of
    "this customer's merge" means), or None."""
    customer = _visible(actor, customer_id)
    qs = CustomerMerge.objects.filter(undone_at__isnull=True)
    found = qs.filter(merged=customer).first()
    return found or qs.filter(kept=customer).first()


@transaction.atomic
def unmerge(actor: Actor, merge_id: int) -> CustomerMerge:
    """Undo a merge within `UNDO_WINDOW`: move back exactly what it moved and still sits on
    the kept record, give the portal account back, show the duplicate again.

    Refused when undone already (`merge_undone`), too old (`merge_too_old`), when the kept
    record has since been merged itself (undo that first: `merge_already_merged`), or by
    someone who may not merge (`merge_not_allowed`). Writes `unmerged` RecordChanges and a
    `customer_updated` event (`undo: true`) on each case moved back.
    """
    done = actor.scope(CustomerMerge.objects.select_for_update()).filter(pk=merge_id).first()
    if done is None:
        raise NotFound("not_found", what="merge")
    if not privacy.may_merge(actor, done.site_id):
        raise Forbidden("merge_not_allowed")
    if done.undone_at is not None:
        raise EngineError("merge_undone")
    now = timezone.now()
    if not undoable(done, now=now):
        raise EngineError("merge_too_old", hours=int(UNDO_WINDOW.total_seconds() // 3600))
    kept, merged = _lock_pair(actor, done.kept_id, done.merged_id)
    if kept.merged_into_id is not None:
        raise EngineError("merge_already_merged")
    moves = Moves.stored(done.moved)
    _move(actor, moves, source=kept, target=merged, merge_id=done.pk, undo=True)
    user_back = moves.user is not None and kept.user_id == moves.user
    if user_back:
        kept.user = None
        kept.save(update_fields=["user"])
        merged.user_id = moves.user
    merged.merged_into = None
    merged.save(update_fields=["merged_into", "user"])
    back = {"user": {"from": moves.user, "to": None}} if user_back else {}
    _record(
        actor,
        RecordAction.UNMERGED,
        site_id=kept.site_id,
        customer=kept,
        changes={"merged_record": {"from": merged.pk, "to": None}, **back},
    )
    again = {"user": {"from": None, "to": moves.user}} if user_back else {}
    _record(
        actor,
        RecordAction.UNMERGED,
        site_id=kept.site_id,
        customer=merged,
        changes={"merged_into": {"from": kept.pk, "to": None}, **again},
    )
    done.undone_at, done.undone_by = now, actor.user
    done.save(update_fields=["undone_at", "undone_by"])
    return done
