"""The channels' core: one inbound path into the action layer, one outbound path to customers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult
from PIL import Image

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.channels import outbound
from fuwu.channels.choices import DeliveryStatus, InboundStatus
from fuwu.channels.inbound import Incoming, IncomingFile, bind, receive
from fuwu.channels.models import Delivery, InboundMessage, NoticeTemplate, Route
from fuwu.channels.tasks import deliver
from fuwu.channels.tests.conftest import notice_to_owner, open_pipe_leak
from fuwu.customers.models import Customer


class Recorder:
    """A sender that records what it was given; `down` makes it fail as a provider would."""

    sent: ClassVar[list[Any]] = []
    down: ClassVar[bool] = False

    def send(self, delivery: Delivery) -> str:
        if Recorder.down:
            raise ConnectionRefusedError("provider down")
        Recorder.sent.append((delivery.channel, delivery.address, delivery.subject, delivery.body))
        return f"p-{delivery.pk}"


@pytest.fixture
def recorder(settings: Any) -> type[Recorder]:
    settings.FUWU_CHANNEL_SENDERS = {
        "email": "fuwu.channels.tests.test_core.Recorder",
        "wechat": "fuwu.channels.tests.test_core.Recorder",
    }
    settings.FUWU_QUIET_HOURS = ""
    Recorder.sent, Recorder.down = [], False
    return Recorder


@pytest.fixture
def route(world: Any) -> Route:
    return Route.objects.create(
        channel="email",
        address="repair@*",
        site=world.sites["lanting"],
        procedure_key="property_repair",
    )


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def mail(external_id: str, **kw: Any) -> Incoming:
    values: dict[str, Any] = {
        "channel": "email",
        "account": "repair@lanting.example.cn",
        "external_id": external_id,
        "sender": "Wang@Example.com",
        "sender_name": "王芳",
        "subject": "厨房水管漏水",
        "body": "厨房水槽下面的水管一直在漏水，请尽快派人来修。",
        **kw,
    }
    return Incoming(**values)


def test_a_new_message_opens_one_case_on_its_channel_for_its_customer(world, route, recorder):
    outcome = receive(mail("<m1@example.com>"))
    case = outcome.case
    assert case is not None and outcome.message.status == InboundStatus.ACCEPTED
    assert (case.channel, case.procedure_key, case.customer_id) == (
        "email",
        "property_repair",
        world.customers["owner"].pk,
    )
    assert case.title == "厨房水管漏水"
    opened = Event.objects.get(case=case, kind="opened")
    assert opened.data["channel"] == "email"
    # The customer is told their request was received: a Delivery and its task, same transaction.
    notice = Delivery.objects.get(case=case)
    assert (notice.kind, notice.channel, notice.address) == ("opened", "email", "wang@example.com")
    assert notice.status == DeliveryStatus.QUEUED and "已收到您的请求" in notice.body
    task = DBTaskResult.objects.get(task_path__endswith="channels.tasks.deliver")
    assert task.args_kwargs["args"] == [notice.pk]
    assert deliver.call(notice.pk) == DeliveryStatus.SENT
    assert deliver.call(notice.pk) == "skipped"  # a retried task sends nothing twice
    assert len(recorder.sent) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.provider_id, notice.attempts) == ("sent", f"p-{notice.pk}", 1)

    again = receive(mail("<m1@example.com>", subject="另一封"))
    assert again.duplicate and again.message.pk == outcome.message.pk
    assert Case.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_an_unknown_sender_gets_a_customer_record_and_no_route_is_refused(world, route, recorder):
    outcome = receive(mail("<m2@example.com>", sender="zhao@example.net", sender_name="赵敏"))
    assert outcome.case is not None
    customer = Customer.objects.get(email="zhao@example.net")
    assert customer.name == "赵敏" and outcome.case.customer_id == customer.pk

    refused = receive(mail("<m3@example.com>", account="sales@lanting.example.cn"))
    assert refused.message.status == InboundStatus.REFUSED
    assert refused.message.reason == "no_route" and refused.case is None
    assert Case.objects.count() == 1


def test_refused_and_ignored_messages_write_no_case(world, route, recorder):
    bounce = receive(mail("<b@example.com>", ignore="bounce"))
    bad = receive(mail("", refuse="malformed", detail="no From header"))
    assert (bounce.message.status, bounce.message.reason) == ("ignored", "bounce")
    assert (bad.message.status, bad.message.reason) == ("refused", "malformed")
    assert not Case.objects.exists() and not Delivery.objects.exists()


def test_a_reply_lands_as_the_customers_public_comment_with_its_files(world, route, recorder):
    case = receive(mail("<m1@example.com>")).case
    assert case is not None
    png = picture()
    reply = receive(
        mail(
            "<m2@example.com>",
            subject="Re: 厨房水管漏水",
            body="师傅下午三点后来都可以。",
            case_id=case.pk,
            files=[
                IncomingFile("leak.png", "image/png", png),
                IncomingFile("a.zip", "application/zip", b"PK"),
            ],
        )
    )
    assert reply.message.status == InboundStatus.THREADED and reply.case == case
    comment = Event.objects.get(case=case, kind="commented")
    assert comment.data["text"] == "师傅下午三点后来都可以。" and comment.data["internal"] is False
    assert comment.data["via"] == {
        "channel": "email",
        "message": reply.message.pk,
        "customer": world.customers["owner"].pk,
    }
    attached = Event.objects.get(case=case, kind="attached")
    assert attached.data["names"] == ["leak.png"]
    assert reply.message.attachments.count() == 2  # the archive stays with the message
    # The customer's own reply is not echoed back to them.
    assert Delivery.objects.filter(case=case).count() == 1


def test_another_senders_reply_does_not_reach_someone_elses_case(world, route, recorder):
    case = receive(mail("<m1@example.com>")).case
    assert case is not None
    other = receive(mail("<x@example.com>", sender="mallory@example.org", case_id=case.pk))
    assert other.message.status == InboundStatus.ACCEPTED and other.case != case
    assert not Event.objects.filter(case=case, kind="commented").exists()


def test_staff_answers_and_progress_reach_the_customer_in_their_language(world, recorder):
    owner = world.customers["owner"]
    owner.language = "en"
    owner.save()
    bind(owner, "wechat", "openid-1")
    owner.preferences = {"contact_channel": "wechat"}
    owner.save()
    NoticeTemplate.objects.create(
        kind="reply",
        procedure_key="property_repair",
        language="en",
        subject="Reply on {number}",
        body="Dear {customer}: {text} {unknown}",
    )
    case = open_pipe_leak(world)
    actions.comment(world.actor("agent"), case.pk, text="内部：查一下库存", internal=True)
    actions.comment(world.actor("agent"), case.pk, text="We will come at 3 pm.")
    notices = list(Delivery.objects.filter(case=case).order_by("pk"))
    assert [(n.kind, n.channel, n.address, n.language) for n in notices] == [
        ("opened", "wechat", "openid-1", "en"),
        ("reply", "wechat", "openid-1", "en"),
    ]
    assert notices[0].subject == "We have received your request: 水管漏水"
    assert notices[1].subject == f"Reply on {case.number}"
    assert notices[1].body == "Dear 王芳: We will come at 3 pm. {unknown}"


def test_a_provider_that_is_down_delays_the_notice_and_never_loses_it(world, route, recorder):
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    with time_machine.travel(start, tick=False):
        recorder.down = True
        case = receive(mail("<m1@example.com>")).case
        notice = Delivery.objects.get(case=case)
        assert deliver.call(notice.pk) == DeliveryStatus.RETRYING
        notice.refresh_from_db()
        assert notice.next_attempt_at == start + timedelta(minutes=1)
        assert "provider down" in notice.error
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert outbound.retry_due() == 0
        notice.refresh_from_db()
        assert (notice.status, notice.attempts) == ("retrying", 2)
        assert notice.next_attempt_at == start + timedelta(minutes=3)  # 1, then 2 minutes
        recorder.down = False
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert outbound.retry_due() == 0  # not due yet
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert outbound.retry_due() == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.error) == ("sent", 3, "")
    assert len(recorder.sent) == 1


def test_it_gives_up_after_the_last_attempt(world, route, recorder, settings):
    settings.FUWU_DELIVERY_ATTEMPTS = 2
    recorder.down = True
    case = receive(mail("<m1@example.com>")).case
    notice = Delivery.objects.get(case=case)
    assert deliver.call(notice.pk) == DeliveryStatus.RETRYING
    later = datetime.now(UTC) + timedelta(hours=1)
    assert outbound.attempt(notice.pk, now=later) == DeliveryStatus.FAILED
    assert outbound.retry_due(now=later + timedelta(days=1)) == 0


def test_quiet_hours_hold_a_non_urgent_notice_until_morning(world, route, recorder, settings):
    settings.FUWU_QUIET_HOURS = "21:00-08:00"
    night = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    with time_machine.travel(night, tick=False):
        case = receive(mail("<m1@example.com>")).case
        notice = Delivery.objects.get(case=case)
        morning = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
        assert notice.next_attempt_at == morning
        task = DBTaskResult.objects.get(task_path__endswith="channels.tasks.deliver")
        assert task.run_after == morning
        assert deliver.call(notice.pk) == "skipped"  # not before the morning
    with time_machine.travel(morning, tick=False):
        assert deliver.call(notice.pk) == DeliveryStatus.SENT


def test_a_customer_nothing_reaches_gets_a_suppressed_row(world, recorder):
    owner = world.customers["owner"]
    Customer.objects.filter(pk=owner.pk).update(email="")  # a phone only, and no SMS sender here
    notice = notice_to_owner(world)
    assert (notice.status, notice.error, notice.channel) == ("suppressed", "unreachable", "")
    assert not DBTaskResult.objects.filter(task_path__endswith="channels.tasks.deliver").exists()


def test_the_case_page_shows_the_notices_and_the_customers_reply(world, route, recorder):
    from django.test import Client

    case = receive(mail("<m1@example.com>")).case
    assert case is not None
    recorder.down = True
    deliver.call(Delivery.objects.get(case=case).pk)
    receive(mail("<m2@example.com>", body="周六上午家里有人。", case_id=case.pk))
    client = Client()
    client.force_login(world.users["sc_manager"])
    page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200
    assert "通过电子邮件通知客户（已受理）：等待重试" in html
    assert "第 1 次尝试失败：ConnectionRefusedError: provider down" in html
    assert "<strong>王芳</strong>\n      通过电子邮件回复" in html
    assert "周六上午家里有人。" in html


def test_a_refusal_of_the_action_layer_leaves_the_message_refused_and_nothing_else(
    world, recorder, caplog
):
    Route.objects.create(
        channel="email", address="*", site=world.sites["lanting"], procedure_key="no_such"
    )
    outcome = receive(mail("<m1@example.com>", sender="new@example.net"))
    assert (outcome.message.status, outcome.message.reason) == ("refused", "procedure_unknown")
    assert outcome.case is None
    assert not Case.objects.exists()
    assert not Customer.objects.filter(email="new@example.net").exists()  # rolled back too
    assert "refused: procedure_unknown" in caplog.text


def test_the_customer_hears_of_the_steps_described_to_them_and_of_the_resolution(world, recorder):
    from fuwu.web.tests.casesetup import at_repair, move

    case = at_repair(world)
    kinds = lambda: list(  # noqa: E731
        Delivery.objects.filter(case=case).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds() == ["opened"]  # dispatching is the organisation's business
    case = move(world, case, "technician", "wait_for_owner", {"wait_reason": "业主不在家"})
    waiting = Delivery.objects.filter(case=case).latest("pk")
    assert waiting.kind == "progress" and "我们在等您的答复" in waiting.body
    case = move(world, case, "technician", "owner_ready")
    assert kinds() == ["opened", "progress"]
    move(
        world,
        case,
        "technician",
        "complete",
        {"diagnosis": "阀芯老化", "solution": "更换阀芯", "owner_agreed": True},
    )
    assert kinds() == ["opened", "progress", "resolved"]


def test_the_procedures_own_words_to_the_customer_go_out_on_their_channel(world, recorder):
    from fuwu.web.tests.casesetup import at_dispatch, move

    case = at_dispatch(world)
    move(
        world,
        case,
        "dispatcher",
        "book",
        {"repair_mode": "booked", "appointment_at": "2099-01-05T10:00:00+08:00"},
    )
    booked = Delivery.objects.filter(case=case).latest("pk")
    assert booked.kind == "progress" and "已为您预约上门维修时间" in booked.body


def test_a_sweep_stops_trying_a_channel_whose_provider_is_down(world, route, recorder):
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for n in range(3):
            receive(mail(f"<m{n}@example.com>", subject=f"第{n}封"))
    recorder.down = True
    later = start + timedelta(minutes=5)
    assert outbound.retry_due(now=later) == 0
    attempts = sorted(Delivery.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]  # one try told the sweep the provider is down
    recorder.down = False
    assert outbound.retry_due(now=later + timedelta(minutes=1)) == 3
