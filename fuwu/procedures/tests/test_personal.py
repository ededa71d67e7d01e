"""`personal:`: a text field (or a `lines` column) holding personal information (PIPL), and the
masks it reads as (fuwu.customers.masks): pure Python, no database."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fuwu.customers.masks import ANONYMISED, mask, tel
from fuwu.procedures.engine.definition import FieldDef, PersonalKind

LABEL = {"zh": "电话", "en": "Phone"}


def field(kind: str, **extra: object) -> FieldDef:
    return FieldDef.model_validate({"key": "phone", "type": kind, "label": LABEL, **extra})


def test_a_text_field_or_column_takes_a_kind() -> None:
    assert field("text", personal="id_card").personal is PersonalKind.ID_CARD
    lines = field(
        "lines",
        columns=[{"key": "phone", "type": "text", "personal": "phone", "label": LABEL}],
    )
    assert lines.column("phone").personal is PersonalKind.PHONE  # type: ignore[union-attr]


def test_other_types_and_unknown_kinds_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="only a text field takes `personal`"):
        field("number", personal="phone")
    with pytest.raises(ValidationError, match=r"phone.*email.*id_card.*name.*address"):
        field("text", personal="passport")
    with pytest.raises(ValidationError, match="computed field holds no personal value"):
        field("text", personal="phone", compute="data.other")


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("phone", "13812345678", "138****5678"),
        ("phone", "12345", "*****"),
        ("email", "zhang.wei@example.com", "z***@example.com"),
        ("id_card", "110101199003071234", "1101**********1234"),
        ("id_card", "A1234", "*****"),
        ("address", "北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("name", "张伟", "张伟"),
        ("phone", "", ""),
        ("phone", ANONYMISED, ANONYMISED),
        ("phone", None, None),
    ],
)
def test_masks(kind: str, value: object, masked: object) -> None:
    assert mask(kind, value) == masked


def test_tel_links_keep_digits_and_a_leading_plus() -> None:
    assert tel("+86 138-1234-5678") == "tel:+8613812345678"
    assert tel("13812345678") == "tel:13812345678"
