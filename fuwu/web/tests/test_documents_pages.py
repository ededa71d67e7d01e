"""The case page's print menu, printing as PDF, the signing page; and the same through the API."""

from __future__ import annotations

import base64

from fuwu.cases.models import Event
from fuwu.documents.models import Document, Signature
from fuwu.documents.tests.helpers import fee_case, repair_case, signature_png
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import signed_in

PNG = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
BLANK = "data:image/png;base64," + base64.b64encode(signature_png(ink=False)).decode()


def test_the_menu_lists_the_procedure_s_documents_and_prints_a_pdf(world: World) -> None:
    case = repair_case(world)
    client = signed_in("agent")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="documents-menu"' in page
    assert "打印维修派工单" in page and "打印收据" in page and "尚未编号" in page
    assert 'data-testid="sign-work_order"' in page and 'data-testid="sign-receipt"' not in page
    assert 'data-testid="print-payment_notice"' not in page  # not this procedure's
    # Printing is a change: never on GET.
    assert client.get(f"/cases/{case.pk}/documents/work_order/print/").status_code == 405
    r = client.post(f"/cases/{case.pk}/documents/work_order/print/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'inline; filename="LANTING-PG-000001.pdf"'
    assert r.content.startswith(b"%PDF-")
    r = client.post(f"/cases/{case.pk}/documents/work_order/print/", {"download": "1"})
    assert r["Content-Disposition"] == 'attachment; filename="LANTING-PG-000001-copy.pdf"'
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "LANTING-PG-000001" in page and "已打印 2 次" in page
    assert "打印了维修派工单 LANTING-PG-000001 的副本（第 2 次）" in page  # the timeline


def test_a_refused_print_says_why_in_the_reader_s_language(world: World) -> None:
    case = fee_case(world)
    client = signed_in("agent", "en")
    r = client.post(f"/cases/{case.pk}/documents/receipt/print/", follow=True)
    assert "The Receipt is not complete yet; fill in first: Amount paid (CNY)" in r.content.decode()
    assert not Document.objects.exists()
    # Another site's case, or one's own with a made-up kind: not found.
    assert (
        signed_in("advisor").post(f"/cases/{case.pk}/documents/receipt/print/").status_code == 404
    )
    assert client.get(f"/cases/{case.pk}/documents/no_such/sign/").status_code == 404


def test_the_signing_page_stores_who_signed_what(world: World) -> None:
    case = repair_case(world)
    client = signed_in("agent")
    page = client.get(f"/cases/{case.pk}/documents/work_order/sign/").content.decode()
    assert "签名后编号" in page and 'value="王芳"' in page and "厨房水管漏水" in page
    refused = client.post(
        f"/cases/{case.pk}/documents/work_order/sign/", {"signer": "王芳", "signature": BLANK}
    )
    assert refused.status_code == 400 and "请先在签名框内签名" in refused.content.decode()
    assert not Signature.objects.exists()
    done = client.post(
        f"/cases/{case.pk}/documents/work_order/sign/",
        {"signer": "王芳", "signature": PNG},
        follow=True,
    )
    text = done.content.decode()
    assert "王芳 已在维修派工单 LANTING-PG-000001 上签名。" in text
    signature = Signature.objects.get()
    assert signature.signer_name == "王芳" and signature.document.number == "LANTING-PG-000001"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "请 王芳 在维修派工单 LANTING-PG-000001 上签名" in page
    # The receipt is signed by the cashier on paper, not by the customer on the tablet.
    assert client.get(f"/cases/{case.pk}/documents/receipt/sign/").status_code == 404


def test_the_api_lists_prints_and_records_signatures(world: World, api) -> None:  # type: ignore[no-untyped-def]
    case = repair_case(world)
    agent = api("agent", "en")
    listed = agent.get(f"/api/cases/{case.pk}/documents")
    assert listed.status_code == 200
    kinds = {d["kind"]: d for d in listed.json()}
    assert set(kinds) == {"receipt", "work_order"}
    assert kinds["work_order"] == {
        "kind": "work_order",
        "name": "Repair work order",
        "number": None,
        "prints": 0,
        "signable": True,
        "signed_by": None,
        "signed_at": None,
    }
    bad = agent.post(
        f"/api/cases/{case.pk}/documents/work_order/signatures", {"signer": "王芳", "image": BLANK}
    )
    assert bad.status_code == 400 and bad.json()["details"]["fields"]["signature"] == (
        "Sign in the box first (a PNG picture)"
    )
    signed = agent.post(
        f"/api/cases/{case.pk}/documents/work_order/signatures", {"signer": "王芳", "image": PNG}
    )
    assert signed.status_code == 201, signed.json()
    assert signed.json()["number"] == "LANTING-PG-000001" and signed.json()["signer"] == "王芳"
    printed = agent.post(f"/api/cases/{case.pk}/documents/work_order/print")
    assert printed.status_code == 200 and printed["Content-Type"] == "application/pdf"
    assert (printed["X-Document-Number"], printed["X-Document-Copy"]) == (
        "LANTING-PG-000001",
        "false",
    )
    again = agent.post(f"/api/cases/{case.pk}/documents/work_order/print")
    assert again["X-Document-Copy"] == "true"
    after = {d["kind"]: d for d in agent.get(f"/api/cases/{case.pk}/documents").json()}
    assert after["work_order"]["prints"] == 2 and after["work_order"]["signed_by"] == "王芳"
    wrong = agent.post(f"/api/cases/{case.pk}/documents/qc_sheet/print")
    assert wrong.status_code == 400 and wrong.json()["code"] == "document_not_applicable"
    assert api("advisor").get(f"/api/cases/{case.pk}/documents").status_code == 404
    printed_events = Event.objects.filter(case=case, kind="document_printed").count()
    assert printed_events == 2
