"""How personal values read when they are masked, and what anonymisation leaves behind.

Pure functions (no models): the customer records, the procedure fields marked `personal:` and
the timeline all mask through `mask()`, so a phone number reads the same everywhere. Who sees
a mask and who the full value is decided in `fuwu.customers.privacy`.
"""

from __future__ import annotations

from typing import Any

from fuwu.procedures.engine.definition import PersonalKind

# What anonymisation leaves in place of a personal value: a machine value, the same in every
# language, that no mask or search matches.
ANONYMISED = "***"


def mask_phone(phone: str) -> str:
    """138****5678: three first and four last digits; a short number is all stars."""
    text = phone.strip()
    if len(text) >= 7:
        return text[:3] + "****" + text[-4:]
    return "*" * len(text)


def mask_email(email: str) -> str:
    """z***@example.com: the first character of the mailbox and the domain."""
    text = email.strip()
    box, at, domain = text.partition("@")
    if not at:
        return text[:1] + "***" if text else ""
    return f"{box[:1]}***@{domain}"


def mask_id_card(number: str) -> str:
    """1101**********1234: the first and last four characters (region, check digits)."""
    text = number.strip()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_address(address: str) -> str:
    """The first six characters (city, district) and a mark that more was written."""
    text = address.strip()
    return text[:6] + "****" if len(text) > 6 else "****" if text else ""


def mask(kind: PersonalKind | str, value: Any) -> Any:
    """`value` as someone without the right to the full value reads it. A blank value and
    one already anonymised stay as they are; a name is not masked (people are addressed by
    name), only anonymised after the retention period."""
    if not isinstance(value, str) or not value.strip() or value == ANONYMISED:
        return value
    match PersonalKind(kind):
        case PersonalKind.PHONE:
            return mask_phone(value)
        case PersonalKind.EMAIL:
            return mask_email(value)
        case PersonalKind.ID_CARD:
            return mask_id_card(value)
        case PersonalKind.ADDRESS:
            return mask_address(value)
        case PersonalKind.NAME:
            return value


def tel(phone: str) -> str:
    """The `tel:` link for a phone number (digits and a leading +), for one tap on a phone."""
    text = phone.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    return "tel:" + ("+" if text.startswith("+") else "") + digits
