"""What a case's intake takes from what is already known, so that nobody types it twice.

A procedure's `portal.profile` names the intake fields that hold the customer's own name, phone
or e-mail (a complaint's complainant and contact phone); whoever opens the case for a known
customer — the customer in the portal, an agent at the intake desk — leaves them to the
customer's record. A case's title, when nobody typed one, is the first line of what the intake
says the case is about. Pure functions: the intake desk and the portal call them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fuwu.procedures.engine.definition import FieldType, Procedure

TITLE_LENGTH = 60  # a derived title is the first line of a text, cut to a list row's width

Profile = Literal["name", "phone", "email"]


def profile_fields(p: Procedure) -> dict[str, Profile]:
    """The intake fields that hold the customer's own name, phone or e-mail, and which."""
    intake = {f.key for f in p.fields}
    return {key: what for key, what in p.portal.profile.items() if key in intake}


def fill_profile(
    p: Procedure, values: Mapping[str, Any], known: Mapping[str, str]
) -> dict[str, Any]:
    """`values` with each blank profile field taken from `known` (the customer's record, keyed
    name/phone/email). A value someone typed (another person complaining) stays."""
    out = dict(values)
    for key, what in profile_fields(p).items():
        if _blank(out.get(key)) and known.get(what):
            out[key] = known[what]
    return out


def derived_title(p: Procedure, values: Mapping[str, Any]) -> str:
    """The title of a case nobody gave one: the first line of the field the definition names
    as its description (`portal.description_field`: the repair item, the complaint), else of
    the first text field of the intake (its fields, then the first step's form) that has a
    value; empty when there is none."""
    texts = [f.key for f in [*p.fields, *p.steps[p.start].form] if f.type is FieldType.TEXT]
    first = p.portal.description_field
    for key in [first, *texts] if first else texts:
        value = values.get(key)
        if isinstance(value, str) and value.strip():
            line = value.strip().splitlines()[0].strip()
            return line[:TITLE_LENGTH]
    return ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
