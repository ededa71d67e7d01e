"""Each document kind printed to PDF with the vendored Chinese font: its text, its signature,
its copy mark — and a PNG of every kind in test-artifacts/documents/ for a person to look at."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fuwu.cases import actions as case_actions
from fuwu.cases.models import Case
from fuwu.documents import actions, render
from fuwu.documents.kinds import KINDS
from fuwu.documents.signatures import check_signature
from fuwu.documents.tests.helpers import fee_case, repair_case, signature_png
from fuwu.procedures.engine.errors import EngineError
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import move

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "documents"


def _open(world: World, persona: str, site: str, procedure: str, **data: Any) -> Case:
    customer = world.customers["driver" if site == "dealer" else "owner"]
    asset = world.assets["car" if site == "dealer" else "unit"]
    return case_actions.open_case(
        world.actor(persona),
        procedure_key=procedure,
        site_id=world.sites[site].pk,
        channel="walk_in",
        title=data.pop("title", "客户来访"),
        customer_id=customer.pk,
        asset_id=asset.pk,
        data=data,
    )


def _walk(world: World, case: Case, persona: str, *moves: tuple[str, dict[str, Any]]) -> Case:
    for key, form in moves:
        try:
            case = move(world, case, persona, key, form)
        except EngineError as refused:  # say which field, not only "the form has errors"
            raise AssertionError(f"{key}: {refused.code} {refused.details('en')}") from None
    return case


def receipt_case(world: World) -> Case:
    case = fee_case(world, notice=True)
    case = move(world, case, "finance", "correct", {"notice_correct": True})
    case = move(world, case, "agent", "handed_out", {"hand_out_method": "in_person"})
    paid = {"amount_paid": "320.00", "receipt_no": "SK-0815", "payment_method": "transfer"}
    return move(world, case, "agent", "paid", paid)


def car_case(world: World) -> Case:
    case = _open(world, "advisor", "dealer", "car_reception_repair_order", plate_no="粤B·3K5X8")
    return _walk(
        world,
        case,
        "advisor",
        ("greeted", {}),
        ("checked", {"odometer": 48210, "fuel_level": "half", "check_in_sheet_no": "JC-0518"}),
        ("asked", {"customer_concern": "冷启动时发动机异响，空调制冷不足"}),
        (
            "decided",
            {"fault_status": "determined", "warranty": "out_of_warranty", "explained": True},
        ),
        ("verified", {"vin": "LVGBE40K28G123456", "vehicle_model": "卡罗拉 1.8L"}),
        ("checked", {"parts_status": "in_stock"}),
        (
            "estimated",
            {
                "estimate_lines": [
                    {
                        "kind": "labour",
                        "item": "更换正时皮带",
                        "quantity": "2.5",
                        "unit_price": "180",
                    },
                    {"kind": "parts", "item": "正时皮带套件", "quantity": "1", "unit_price": "860"},
                    {
                        "kind": "labour",
                        "item": "空调系统检查加注冷媒",
                        "quantity": "1",
                        "unit_price": "150",
                    },
                ],
                "promised_at": "2030-05-12T16:30:00+08:00",
                "entered_in_dms": True,
            },
        ),
    )


def key_case(world: World) -> Case:
    case = _open(world, "agent", "lanting", "key_lending", borrower_name="王芳", purpose="装修进场")
    return _walk(
        world,
        case,
        "agent",
        (
            "owner_borrows",
            {"borrower_relation": "owner", "identity_confirmed": True, "identity_check": "id_card"},
        ),
        (
            "lent",
            {
                "key_no": "K-3-2-1502",
                "key_count": 2,
                "expected_return": "2030-12-05T18:00:00+08:00",
            },
        ),
    )


def parking_case(world: World) -> Case:
    case = _open(
        world,
        "agent",
        "lanting",
        "parking_lease",
        lease_type="new",
        plate_no="粤B·8M2Q1",
        space_no="B2-118",
        space_kind="underground",
        vehicle_model="比亚迪 秦",
        vehicle_colour="白色",
    )
    return _walk(
        world,
        case,
        "agent",
        ("documents_ok", {}),
        ("signed", {"commitment_no": "CN-2026-031"}),
        ("recorded", {"licence_holder": "王芳", "insurance_until": "2027-06-30"}),
        (
            "paid",
            {
                "lease_start": "2026-12-01",
                "lease_end": "2027-11-30",
                "amount_paid": "3600.00",
                "receipt_no": "SK-1203",
            },
        ),
    )


def handover_case(world: World) -> Case:
    return _open(
        world, "agent", "lanting", "house_handover", owner_name="王芳", unit_no="3栋2单元1502"
    )


def toyota_case(world: World) -> Case:
    return _open(
        world,
        "advisor",
        "dealer",
        "toyota_seven_step",
        plate_no="粤B·3K5X8",
        customer_request="4万公里定期保养，刹车有异响",
    )


MAKERS = {
    "payment_notice": lambda w: fee_case(w, notice=True),
    "receipt": receipt_case,
    "work_order": repair_case,
    "repair_order": car_case,
    "key_lending": key_case,
    "parking_permit": parking_case,
    "handover": handover_case,
    "handbook": handover_case,
    "qc_sheet": toyota_case,
}


def _texts(document: Any) -> str:
    """The text WeasyPrint laid out on the pages (what the PDF shows)."""
    out: list[str] = []

    def walk(box: Any) -> None:
        if getattr(box, "text", None):
            out.append(box.text)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return "".join(out)


def _png(pdf: bytes, name: str) -> None:
    """test-artifacts/documents/<name>.png (first page) when poppler's pdftoppm is installed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-singlefile", f"{name}.pdf", name],
            cwd=ARTIFACTS,
            check=True,
        )


def test_every_kind_prints_in_chinese_with_its_own_number(world: World) -> None:
    assert set(MAKERS) == set(KINDS)
    agent = {"lanting": world.actor("agent"), "dealer": world.actor("advisor")}
    for key, make in MAKERS.items():
        case = make(world)
        who = agent[case.site.code]
        made = actions.print_pdf(who, case.pk, key, language="zh-hans")
        assert made.content.startswith(b"%PDF-")
        kind = KINDS[key]
        s = render.sheet(who, case, kind, made.printed.document, copy=False, language="zh-hans")
        text = _texts(render.document(s, "zh-hans"))
        assert kind.name.zh in text and made.printed.document.number in text, key
        assert f"-{kind.prefix}-000001" in made.printed.document.number
        _png(made.content, f"{key}-zh")
    # What a few of them carry from the case.
    car = Case.objects.get(procedure__key="car_reception_repair_order")
    s = render.sheet(
        agent["dealer"], car, KINDS["repair_order"], None, copy=False, language="zh-hans"
    )
    text = _texts(render.document(s, "zh-hans"))
    for expected in (
        "正时皮带套件",
        "¥1,460.00",
        "LVGBE40K28G123456",
        "冷启动时发动机异响",
        "客户签名",
    ):
        assert expected in text, expected


def test_the_signature_and_the_copy_mark_are_on_the_paper_in_both_languages(world: World) -> None:
    agent = world.actor("agent")
    case = repair_case(world)
    actions.sign_document(
        agent, case.pk, "work_order", signer="王芳", picture=check_signature(signature_png())
    )
    first = actions.print_pdf(agent, case.pk, "work_order", language="zh-hans")
    copy = actions.print_pdf(agent, case.pk, "work_order", language="en")
    assert (first.printed.copy, copy.printed.copy) == (False, True)
    assert copy.filename == "LANTING-PG-000001-copy.pdf"
    kind = KINDS["work_order"]
    zh = render.sheet(agent, case, kind, first.printed.document, copy=False, language="zh-hans")
    zh_text = _texts(render.document(zh, "zh-hans"))
    assert "维修派工单" in zh_text and "厨房水管漏水" in zh_text and "业主签名" in zh_text
    assert "王芳" in zh_text and "副本" not in zh_text
    assert zh.boxes[0].image.startswith("data:image/png;base64,")
    en = render.sheet(agent, case, kind, copy.printed.document, copy=True, language="en")
    en_text = _texts(render.document(en, "en"))
    assert "Repair work order" in en_text and "COPY" in en_text.upper()
    assert "Owner's signature" in en_text and "厨房水管漏水" in en_text
    if shutil.which("pdftotext"):  # the PDF's own text layer, as a reader's search finds it
        done = subprocess.run(
            ["pdftotext", "-", "-"], input=first.content, capture_output=True, check=True
        )
        assert "维修派工单" in done.stdout.decode() and "LANTING-PG-000001" in done.stdout.decode()
    _png(first.content, "work_order-signed-zh")
    _png(copy.content, "work_order-copy-en")


def test_the_chinese_font_is_the_vendored_one(world: World) -> None:
    case = repair_case(world)
    s = render.sheet(
        world.actor("agent"), case, KINDS["work_order"], None, copy=False, language="zh-hans"
    )
    document = render.document(s, "zh-hans")
    names = (
        {str(font.name) for font in document.fonts.values()}
        if hasattr(document, "fonts")
        else set()
    )
    pdf = document.write_pdf()
    if shutil.which("pdffonts"):
        listed = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False)
        names |= {listed.stdout.decode()}
    assert any("Fuwu-Print" in n or "Noto" in n for n in names), names


@pytest.mark.parametrize("missing", ["libpango-1.0.so.0: cannot open shared object file"])
def test_a_missing_pango_is_named_plainly(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    import builtins

    real = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "weasyprint":
            raise OSError(missing)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(render.RendererMissing) as told:
        render.renderer()
    assert "libpango-1.0-0" in str(told.value) and missing in str(told.value)


def test_start_up_warns_when_pango_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes.util

    from fuwu.documents.apps import pango_present

    assert pango_present() == []  # installed here (make run and make test install it)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    (warning,) = pango_present()
    assert warning.id == "fuwu.documents.W001" and "libpango-1.0-0" in (warning.hint or "")
