"""Messages built as WeChat's servers build them, for the callback's tests.

Written from the protocol's description, independently of `fuwu.channels.wechat.protocol`
(so a mistake there is not mirrored here): SHA-1 over the sorted strings, AES-256-CBC with
the key from EncodingAESKey, IV = its first 16 bytes, PKCS#7 to 32 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.test import Client

TOKEN = "fuwutoken2026"
APP_ID = "wx5823bf96d3bd56c7"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters
ORIGINAL_ID = "gh_fuwu0001"


def sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def xml(fields: dict[str, Any]) -> bytes:
    out = ["<xml>"]
    for k, v in fields.items():
        if isinstance(v, int):
            out.append(f"<{k}>{v}</{k}>")
        else:
            out.append(f"<{k}><![CDATA[{v}]]></{k}>")
    out.append("</xml>")
    return "".join(out).encode()


def wechat_encrypt(plain_xml: bytes, key43: str = AES_KEY, app_id: str = APP_ID) -> str:
    key = base64.b64decode(key43 + "=")
    data = os.urandom(16) + struct.pack("!I", len(plain_xml)) + plain_xml + app_id.encode()
    pad = 32 - len(data) % 32
    data += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def wechat_decrypt(text: str, key43: str = AES_KEY) -> tuple[bytes, str]:
    key = base64.b64decode(key43 + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    data = dec.update(base64.b64decode(text)) + dec.finalize()
    data = data[: -data[-1]]
    (n,) = struct.unpack("!I", data[16:20])
    return data[20 : 20 + n], data[20 + n :].decode()


def text_message(openid: str, content: str, msg_id: int, at: int | None = None) -> dict[str, Any]:
    return {
        "ToUserName": ORIGINAL_ID,
        "FromUserName": openid,
        "CreateTime": at or int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id,
    }


def image_message(openid: str, pic_url: str, msg_id: int) -> dict[str, Any]:
    return {
        "ToUserName": ORIGINAL_ID,
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "image",
        "PicUrl": pic_url,
        "MediaId": f"media_{msg_id}",
        "MsgId": msg_id,
    }


def voice_message(openid: str, recognition: str, msg_id: int) -> dict[str, Any]:
    return {
        "ToUserName": ORIGINAL_ID,
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "voice",
        "MediaId": f"media_{msg_id}",
        "Format": "amr",
        "Recognition": recognition,
        "MsgId": msg_id,
    }


def event(openid: str, name: str, key: str = "", at: int | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ToUserName": ORIGINAL_ID,
        "FromUserName": openid,
        "CreateTime": at or int(time.time()),
        "MsgType": "event",
        "Event": name,
    }
    if key:
        fields["EventKey"] = key
    return fields


class WechatServer:
    """Posts to the callback as WeChat does, in plain or safe mode."""

    def __init__(self, client: Client, app_id: str = APP_ID, token: str = TOKEN) -> None:
        self.client = client
        self.app_id = app_id
        self.token = token
        self.url = f"/channels/wechat/{app_id}/callback"

    def query(self, timestamp: int | None = None, nonce: str = "1320562132") -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        return {"signature": sha1(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}

    def verify(self, echostr: str = "7193917391", **over: Any) -> Any:
        q = {**self.query(), "echostr": echostr, **over}
        return self.client.get(self.url, q)

    def _post(self, query: dict[str, str], body: bytes) -> Any:
        from urllib.parse import urlencode

        return self.client.post(f"{self.url}?{urlencode(query)}", body, content_type="text/xml")

    def plain(self, fields: dict[str, Any], **over: Any) -> Any:
        return self._post(
            {**self.query(), "openid": fields.get("FromUserName", ""), **over}, xml(fields)
        )

    def safe(
        self,
        fields: dict[str, Any],
        *,
        timestamp: int | None = None,
        raw: bytes | None = None,
        **over: Any,
    ) -> Any:
        q = self.query(timestamp)
        encrypted = wechat_encrypt(raw if raw is not None else xml(fields))
        q.update(
            encrypt_type="aes",
            msg_signature=sha1(self.token, q["timestamp"], q["nonce"], encrypted),
            openid=str(fields.get("FromUserName", "")),
        )
        q.update(over)
        body = xml({"ToUserName": ORIGINAL_ID, "Encrypt": encrypted})
        return self._post(q, body)

    def reply_of(self, response: Any) -> dict[str, str]:
        """The reply's fields; an encrypted reply is checked (signature) and decrypted."""
        from lxml import etree

        root = etree.fromstring(response.content)
        fields = {c.tag: c.text or "" for c in root}
        if "Encrypt" not in fields:
            return fields
        assert fields["MsgSignature"] == sha1(
            self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"]
        )
        inner, app_id = wechat_decrypt(fields["Encrypt"])
        assert app_id == self.app_id
        return {c.tag: c.text or "" for c in etree.fromstring(inner)}
