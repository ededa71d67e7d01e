"""WeChat messages turned into cases: text, image, voice, menu clicks, duplicates, binding."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from fuwu.cases.models import Attachment, Case
from fuwu.channels.models import Identity, InboundMessage, Route
from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.tests.fake_servers import serving
from fuwu.channels.wechat import binding
from fuwu.channels.wechat.models import WechatReceipt
from fuwu.channels.wechat.receive import process
from fuwu.procedures.engine.errors import EngineError


@pytest.fixture
def routes(world):
    Route.objects.create(
        channel="wechat",
        address=f"{kit.APP_ID}",
        site=world.sites["lanting"],
        procedure_key="property_repair",
        order=20,
    )
    Route.objects.create(
        channel="wechat",
        address=f"{kit.APP_ID}/COMPLAINT",
        site=world.sites["lanting"],
        procedure_key="complaint",
        order=10,
    )


def run(receipt_key: str) -> str:
    """What the worker does after the reply: the queued task, called directly."""
    return process.call(WechatReceipt.objects.get(key=receipt_key).pk)


def test_a_text_message_opens_a_repair_case_and_a_retry_opens_no_second(wechat, routes):
    fields = kit.text_message("oOwner", "3栋2单元1502 厨房水管漏水", 6054768590064713728)
    response = wechat.safe(fields)
    reply = wechat.reply_of(response)
    assert reply["Content"] == "已收到您的消息，我们会尽快处理。"
    assert run("6054768590064713728") == "accepted"
    case = Case.objects.get()
    assert (case.procedure_key, case.channel, case.title) == (
        "property_repair",
        "wechat",
        "3栋2单元1502 厨房水管漏水",
    )
    assert case.customer is not None  # a record for the stranger, the openid bound to it
    assert Identity.objects.get(channel="wechat", value="oOwner").customer == case.customer
    # WeChat retries (no answer within 5 s): the same MsgId is answered and changes nothing.
    assert wechat.safe(fields).content == b"success"
    assert run("6054768590064713728") == "already processed"
    assert Case.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_picture_and_a_voice_message_add_to_the_users_case(wechat, routes, settings):
    wechat.safe(kit.text_message("oOwner", "电梯不动了", 101))
    run("101")
    case = Case.objects.get()
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(picture, "JPEG")
    with serving() as cdn:
        cdn.answer("/mmbiz/pic1", (200, picture.getvalue()))
        wechat.safe(kit.image_message("oOwner", f"{cdn.base}/mmbiz/pic1", 102))
        assert run("102") == "threaded"
        assert [s.path for s in cdn.seen] == ["/mmbiz/pic1"]
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/jpeg"
    wechat.safe(kit.voice_message("oOwner", "困在三楼了", 103))
    assert run("103") == "threaded"
    texts = [e.data.get("text") for e in case.events.filter(kind="commented")]
    assert texts == ["困在三楼了"]
    assert Case.objects.count() == 1


def test_a_menu_click_chooses_the_procedure_of_the_next_message(wechat, routes):
    response = wechat.safe(kit.event("oGuest", "CLICK", "COMPLAINT"))
    assert "请直接发送" in wechat.reply_of(response)["Content"]
    wechat.safe(kit.text_message("oGuest", "保安态度很差", 201))
    run("201")
    assert Case.objects.get().procedure_key == "complaint"
    # A key no route names is an ordinary event: no prompt.
    assert (
        wechat.safe(kit.event("oGuest", "CLICK", "ABOUT_US", at=int(time.time()) + 1)).content
        == b"success"
    )


def test_binding_with_a_one_time_code(wechat, routes, world):
    owner = world.customers["owner"]
    issued = binding.issue_code(owner)
    reply = wechat.reply_of(wechat.safe(kit.text_message("oOwner", f"绑定 {issued.code}", 301)))
    assert reply["Content"] == "绑定成功：王芳。工单进度将通过本公众号通知您。"
    assert Identity.objects.get(channel="wechat", value="oOwner").customer == owner
    assert binding.is_bound(owner)
    # Used once: the same code again (from someone else) binds nothing.
    again = wechat.reply_of(wechat.safe(kit.text_message("oOther", issued.code, 302)))
    assert "无效或已过期" in again["Content"]
    assert not Identity.objects.filter(value="oOther").exists()
    # Messages from the bound openid now open cases for the owner.
    wechat.safe(kit.text_message("oOwner", "门禁卡坏了", 303))
    run("303")
    assert Case.objects.get().customer == owner
    # Leaving the account unbinds it: notices go by e-mail again.
    wechat.safe(kit.event("oOwner", "unsubscribe"))
    assert not binding.is_bound(owner)


def test_wrong_codes_lock_the_openid_and_issuing_is_limited(wechat, routes, world):
    owner = world.customers["owner"]
    issued = binding.issue_code(owner)
    wrong = "000000" if issued.code != "000000" else "111111"
    for n in range(binding.TRY_LIMIT):
        wechat.safe(kit.text_message("oMallory", f"绑定 {wrong}", 400 + n))
    locked = wechat.reply_of(wechat.safe(kit.text_message("oMallory", issued.code, 499)))
    assert "尝试次数过多" in locked["Content"]
    assert not Identity.objects.filter(value="oMallory").exists()
    # Issuing is limited too.
    for _ in range(binding.ISSUE_LIMIT - 1):
        binding.issue_code(owner)
    with pytest.raises(EngineError) as refused:
        binding.issue_code(owner)
    assert refused.value.code == "too_many_codes"
