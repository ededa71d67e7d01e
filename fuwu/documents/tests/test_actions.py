"""Printing and signing through the actions: numbers, copies, events, refusals that change nothing."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, transaction

from fuwu.cases.choices import EventKind
from fuwu.cases.models import Attachment, Event
from fuwu.core.models import Department, Site, Staff
from fuwu.documents import actions
from fuwu.documents.models import Counter, Document, Signature
from fuwu.documents.signatures import check_signature, decode
from fuwu.documents.tests.helpers import fee_case, repair_case, signature_png
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.testing.factories import World


def _events(case_id: int, kind: str) -> list[dict]:
    return [e.data for e in Event.objects.filter(case_id=case_id, kind=kind).order_by("seq")]


def test_numbers_follow_in_sequence_per_site_and_kind(world: World) -> None:
    agent = world.actor("agent")
    first, second = repair_case(world), repair_case(world)
    fee = fee_case(world, notice=True)
    a = actions.print_document(agent, first.pk, "work_order")
    b = actions.print_document(agent, second.pk, "work_order")
    c = actions.print_document(agent, fee.pk, "payment_notice")
    assert (a.document.number, b.document.number) == ("LANTING-PG-000001", "LANTING-PG-000002")
    assert c.document.number == "LANTING-JF-000001"  # its own sequence
    # Another site counts from one for the same kind.
    other = Site.objects.create(
        organisation=world.sites["lanting"].organisation,
        code="meiyuan",
        name="梅园",
        kind="residential",
    )
    for dept in Department.objects.filter(site=world.sites["lanting"]):
        Department.objects.create(site=other, code=dept.code, name=dept.name)
    Staff.objects.get(user=world.users["agent"]).sites.add(other)
    from fuwu.cases import actions as case_actions

    elsewhere = case_actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=other.pk,
        channel="phone",
        title="门禁失灵",
        data={"repair_item": "门禁失灵", "service_type": "free"},
    )
    d = actions.print_document(world.actor("agent"), elsewhere.pk, "work_order")
    assert d.document.number == "MEIYUAN-PG-000001"
    assert list(
        Counter.objects.order_by("site__code", "kind").values_list("site__code", "kind", "last")
    ) == [
        ("lanting", "payment_notice", 1),
        ("lanting", "work_order", 2),
        ("meiyuan", "work_order", 1),
    ]


def test_a_reprint_is_a_copy_with_the_same_number_and_each_print_is_an_event(world: World) -> None:
    agent = world.actor("agent")
    case = repair_case(world)
    version = case.version
    first = actions.print_document(agent, case.pk, "work_order")
    again = actions.print_document(world.actor("sc_manager"), case.pk, "work_order")
    assert first.copy is False and again.copy is True
    assert again.document.number == first.document.number and again.document.prints == 2
    assert Document.objects.filter(case=case).count() == 1
    assert _events(case.pk, actions.DOCUMENT_PRINTED) == [
        {"document": "work_order", "number": "LANTING-PG-000001", "copy": False, "print": 1},
        {"document": "work_order", "number": "LANTING-PG-000001", "copy": True, "print": 2},
    ]
    case.refresh_from_db()
    assert case.version == version  # printing changes no state: open forms still submit


def test_refused_prints_change_nothing_and_take_no_number(world: World) -> None:
    agent = world.actor("agent")
    fee = fee_case(world)
    before = Event.objects.count()
    with pytest.raises(EngineError) as incomplete:
        actions.print_document(agent, fee.pk, "receipt")  # nothing paid yet
    assert incomplete.value.code == "document_incomplete"
    assert "实收金额" in incomplete.value.message("zh-hans")
    assert "Amount paid" in incomplete.value.message("en")
    with pytest.raises(EngineError) as wrong:
        actions.print_document(agent, fee.pk, "qc_sheet")
    assert wrong.value.code == "document_not_applicable"
    with pytest.raises(EngineError) as unknown:
        actions.print_document(agent, fee.pk, "no_such")
    assert unknown.value.code == "document_unknown"
    with pytest.raises(NotFound):  # a dealer's advisor does not see the estate's cases
        actions.print_document(world.actor("advisor"), fee.pk, "payment_notice")
    assert Event.objects.count() == before
    assert not Counter.objects.exists() and not Document.objects.exists()


def test_a_rolled_back_print_gives_its_number_back(world: World) -> None:
    agent = world.actor("agent")
    case, other = repair_case(world), repair_case(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.print_document(agent, case.pk, "work_order")
        raise RuntimeError("the printer jammed and the request failed")
    assert actions.print_document(agent, other.pk, "work_order").document.number.endswith("000001")


def test_a_signature_is_stored_with_who_when_and_what(world: World) -> None:
    agent = world.actor("agent")
    case = repair_case(world)
    picture = check_signature(decode("data:image/png;base64," + _b64(signature_png())))
    signature = actions.sign_document(
        agent, case.pk, "work_order", signer="  王芳 ", picture=picture
    )
    document = Document.objects.get(case=case, kind="work_order")
    assert document.number == "LANTING-PG-000001" and document.prints == 0  # numbered, not printed
    assert (signature.document, signature.signer_name, signature.taken_by) == (
        document,
        "王芳",
        world.users["agent"],
    )
    assert signature.signed_at is not None
    attachment = Attachment.objects.get(pk=signature.attachment.pk)
    assert attachment.case_id == case.pk and attachment.content_type == "image/png"
    with attachment.file.open("rb") as f:
        assert f.read().startswith(b"\x89PNG")
    assert _events(case.pk, EventKind.ATTACHED) == [
        {
            "ids": [attachment.pk],
            "names": ["signature.png"],
            "document": "work_order",
            "number": "LANTING-PG-000001",
            "signer": "王芳",
        }
    ]
    # The first print after signing is the original, with the same number.
    printed = actions.print_document(agent, case.pk, "work_order")
    assert printed.copy is False and printed.document.number == "LANTING-PG-000001"


def test_bad_signatures_are_refused_and_change_nothing(world: World) -> None:
    case = repair_case(world)
    agent = world.actor("agent")
    for bad in ("", "data:image/png;base64,@@@", "data:image/jpeg;base64,AAAA"):
        with pytest.raises(EngineError) as refused:
            decode(bad)
        assert refused.value.fields["signature"].code == "not_signature"
    with pytest.raises(EngineError) as blank:
        check_signature(signature_png(ink=False))
    assert blank.value.fields["signature"].code == "not_signature"
    with pytest.raises(EngineError) as not_png:
        check_signature(b"GIF89a not a picture")
    assert not_png.value.code == "invalid_form"
    picture = check_signature(signature_png())
    with pytest.raises(EngineError) as nameless:
        actions.sign_document(agent, case.pk, "work_order", signer="  ", picture=picture)
    assert nameless.value.fields["signer"].code == "required"
    with pytest.raises(
        EngineError
    ) as not_signed:  # the finance clerk signs a receipt, not the customer
        actions.sign_document(agent, case.pk, "receipt", signer="王芳", picture=picture)
    assert not_signed.value.code == "document_not_signable"
    with pytest.raises(EngineError) as other_department:
        actions.sign_document(
            world.actor("security"), case.pk, "work_order", signer="王芳", picture=picture
        )
    assert other_department.value.code == "attach_not_allowed"
    assert not Signature.objects.exists() and not Attachment.objects.exists()
    assert not Document.objects.exists()


def _b64(content: bytes) -> str:
    import base64

    return base64.b64encode(content).decode()


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="several connections at once: PostgreSQL (the SQLite test database is one connection)",
)
@pytest.mark.django_db(transaction=True)
def test_prints_at_once_take_every_number_once_with_no_gap(world: World) -> None:
    cases = [repair_case(world) for _ in range(6)]
    start = threading.Barrier(len(cases))
    errors: list[BaseException] = []

    def printing(case_id: int, persona: str) -> None:
        try:
            start.wait()
            actions.print_document(world.actor(persona), case_id, "work_order")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=printing, args=(c.pk, ("agent", "agent2", "sc_manager")[i % 3]))
        for i, c in enumerate(cases)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = sorted(Document.objects.filter(kind="work_order").values_list("seq", flat=True))
    assert seqs == [1, 2, 3, 4, 5, 6]
    assert Counter.objects.get(kind="work_order").last == 6
