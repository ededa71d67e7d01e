"""The WeChat message protocol without the database: signatures, safe-mode cipher, XML."""

from __future__ import annotations

import base64

import pytest

from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.wechat import protocol


def test_signature_is_sha1_of_the_sorted_strings():
    # The documented order: sort token, timestamp and nonce as strings, join, SHA-1.
    assert protocol.signature("b", "a", "c") == protocol.signature("c", "b", "a")
    assert protocol.signature(kit.TOKEN, "1409304348", "xxxxxx") == kit.sha1(
        "1409304348", "xxxxxx", kit.TOKEN
    )
    assert protocol.signature_ok(kit.sha1("1", "2", kit.TOKEN), kit.TOKEN, "1", "2")
    assert not protocol.signature_ok(kit.sha1("1", "3", kit.TOKEN), kit.TOKEN, "1", "2")


def test_what_wechat_encrypts_decrypts_and_what_we_encrypt_wechat_reads():
    xml = kit.xml(kit.text_message("oUser1", "厨房水管漏水", 1001))
    encrypted = kit.wechat_encrypt(xml)
    assert protocol.decrypt(encrypted, encoding_aes_key=kit.AES_KEY, app_id=kit.APP_ID) == xml
    ours = protocol.encrypt(xml, encoding_aes_key=kit.AES_KEY, app_id=kit.APP_ID)
    assert kit.wechat_decrypt(ours) == (xml, kit.APP_ID)
    # Padded to 32-byte blocks, not AES's 16: 16 random + 4 length + xml + AppID, rounded up.
    plain_length = 16 + 4 + len(xml) + len(kit.APP_ID)
    assert len(base64.b64decode(ours)) == (plain_length // 32 + 1) * 32


def test_another_accounts_message_or_a_broken_cipher_is_refused():
    xml = kit.xml(kit.text_message("oUser1", "hi", 1))
    other = kit.wechat_encrypt(xml, app_id="wxOTHER")
    with pytest.raises(protocol.ProtocolError, match="wrong_app_id"):
        protocol.decrypt(other, encoding_aes_key=kit.AES_KEY, app_id=kit.APP_ID)
    with pytest.raises(protocol.ProtocolError):
        protocol.decrypt("not base64!", encoding_aes_key=kit.AES_KEY, app_id=kit.APP_ID)
    with pytest.raises(protocol.ProtocolError):  # a wrong key unpads to garbage
        protocol.decrypt(
            kit.wechat_encrypt(xml),
            encoding_aes_key="a" * 43,
            app_id=kit.APP_ID,
        )
    with pytest.raises(protocol.ProtocolError, match="bad_aes_key"):
        protocol.aes_key("short")


def test_messages_parse_with_every_field_the_callback_reads():
    m = protocol.message(protocol.parse_xml(kit.xml(kit.voice_message("oU", "电梯停了", 77))))
    assert (m.msg_type, m.msg_id, m.format, m.recognition, m.text) == (
        "voice",
        "77",
        "amr",
        "电梯停了",
        "电梯停了",
    )
    e = protocol.message(protocol.parse_xml(kit.xml(kit.event("oU", "CLICK", "REPAIR", at=5))))
    assert (e.event, e.event_key, e.dedupe_key) == ("CLICK", "REPAIR", "oU:5")
    i = protocol.message(protocol.parse_xml(kit.xml(kit.image_message("oU", "http://x/p", 9))))
    assert (i.pic_url, i.media_id, i.dedupe_key) == ("http://x/p", "media_9", "9")


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>a</ToUserName>",  # cut off
        b"not xml at all",
        b"<other><a>1</a></other>",
        # XXE: an external entity would read a local file
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<xml><Content>&e;</Content></xml>",
        # billion laughs
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><C>&b;</C></xml>',
        b"<xml>" + b"<A>x</A>" * 10000 + b"</xml>",  # past the size limit
    ],
)
def test_malformed_hostile_or_oversized_xml_is_refused(body):
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_xml(body)


def test_a_message_without_sender_or_time_is_refused():
    with pytest.raises(protocol.ProtocolError, match="malformed_message"):
        protocol.message({"MsgType": "text", "CreateTime": "1"})
    with pytest.raises(protocol.ProtocolError, match="malformed_message"):
        protocol.message({"MsgType": "text", "FromUserName": "o", "CreateTime": "soon"})


def test_a_text_reply_swaps_sender_and_receiver_and_escapes_nothing_it_should_not():
    incoming = protocol.message(protocol.parse_xml(kit.xml(kit.text_message("oU", "hi", 1))))
    reply = protocol.parse_xml(protocol.text_reply(incoming, "已收到 <&> ]]>", now=123))
    assert reply == {
        "ToUserName": "oU",
        "FromUserName": kit.ORIGINAL_ID,
        "CreateTime": "123",
        "MsgType": "text",
        "Content": "已收到 <&> ]]>",
    }
