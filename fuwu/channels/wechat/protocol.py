"""The WeChat official account's message protocol (公众号消息接口), without Django models.

What WeChat does, and what this module checks (the official "消息加解密" description):

- URL verification: a GET with `signature`, `timestamp`, `nonce`, `echostr`; `signature` is the
  hex SHA-1 of the account's token, the timestamp and the nonce sorted as strings and joined.
  The server answers `echostr` as it came.
- Every message POST carries the same `signature` (plain mode) and, in safe mode, also
  `msg_signature` = SHA-1 of the sorted token, timestamp, nonce and the `<Encrypt>` text;
  the body is then `<xml><ToUserName/><Encrypt>…</Encrypt></xml>`.
- Safe mode's cipher: AES-256-CBC, key = base64decode(EncodingAESKey + "="), iv = key[:16],
  PKCS#7 padding to a multiple of 32 bytes; plaintext = 16 random bytes + the XML's length
  (4 bytes, network order) + the XML + the AppID (checked against ours).
- A reply is XML in the same mode (encrypted replies carry Encrypt, MsgSignature, TimeStamp,
  Nonce), or the text `success` (WeChat then shows nothing and does not retry).

XML is parsed by lxml with entity resolution, DTD loading and network access off, and a body
that declares a DOCTYPE is refused outright (WeChat never sends one), so no XXE and no
billion-laughs expansion.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import Cipher

# cryptography and lxml are imported on the first WeChat message, not with the URL conf: together
# about 11 MB of every web process's memory, and most sites have no official account.

BLOCK = 32  # WeChat pads to 32 bytes, not to AES's 16
MAX_BODY = 64 * 1024


class ProtocolError(Exception):
    """A request that does not follow the protocol: `reason` is a short key for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(*parts: str) -> str:
    """SHA-1 over the parts sorted as strings and joined: both `signature` (token, timestamp,
    nonce) and `msg_signature` (those and the Encrypt text)."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (the protocol's)


def signature_ok(given: str, *parts: str) -> bool:
    return hmac.compare_digest(given.encode(), signature(*parts).encode())


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key of a 43-character EncodingAESKey."""
    if len(encoding_aes_key) != 43:
        raise ProtocolError("bad_aes_key")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError as exc:
        raise ProtocolError("bad_aes_key") from exc
    if len(key) != 32:
        raise ProtocolError("bad_aes_key")
    return key


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise ProtocolError("bad_padding")
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise ProtocolError("bad_padding")
    return data[:-n]


def encrypt(xml: bytes, *, encoding_aes_key: str, app_id: str, random: bytes | None = None) -> str:
    """The Encrypt text of `xml`, as WeChat makes it (and as we make encrypted replies)."""
    key = aes_key(encoding_aes_key)
    plain = (
        (random or secrets.token_bytes(16)) + struct.pack(">I", len(xml)) + xml + app_id.encode()
    )
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(_pad(plain)) + encryptor.finalize()).decode()


def decrypt(text: str, *, encoding_aes_key: str, app_id: str) -> bytes:
    """The XML inside an Encrypt text; its AppID must be ours."""
    key = aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ProtocolError("bad_base64") from exc
    if not data or len(data) % 16:
        raise ProtocolError("bad_ciphertext")
    decryptor = _cipher(key).decryptor()
    plain = _unpad(decryptor.update(data) + decryptor.finalize())
    if len(plain) < 20:
        raise ProtocolError("bad_plaintext")
    (length,) = struct.unpack(">I", plain[16:20])
    xml, rest = plain[20 : 20 + length], plain[20 + length :]
    if len(xml) != length or not hmac.compare_digest(rest, app_id.encode()):
        raise ProtocolError("wrong_app_id")
    return xml


def _cipher(key: bytes) -> Cipher:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


@cache
def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
    )


def parse_xml(body: bytes) -> dict[str, str]:
    """The flat `<xml><Name>value</Name>…</xml>` of a message as a dict (first level only:
    every field of the messages we read sits there)."""
    if len(body) > MAX_BODY:
        raise ProtocolError("too_large")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ProtocolError("doctype")
    from lxml import etree

    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ProtocolError("malformed_xml") from exc
    if root is None or root.tag != "xml":
        raise ProtocolError("malformed_xml")
    return {child.tag: (child.text or "") for child in root if isinstance(child.tag, str)}


def build_xml(fields: dict[str, str | int]) -> bytes:
    """`<xml>` with one element per field: numbers bare, text in CDATA, as WeChat writes it."""
    from lxml import etree

    root = etree.Element("xml")
    for name, value in fields.items():
        child = etree.SubElement(root, name)
        child.text = str(value) if isinstance(value, int) else etree.CDATA(value)
    return etree.tostring(root, encoding="utf-8")


@dataclass(frozen=True)
class Message:
    """One message or event from a user, as the callback receives it (decrypted)."""

    to_user: str  # the account's original id (gh_…)
    from_user: str  # the user's openid for this account
    create_time: int
    msg_type: str  # text, image, voice, video, location, link, event …
    msg_id: str = ""  # messages have one; events do not
    content: str = ""
    pic_url: str = ""
    media_id: str = ""
    format: str = ""
    recognition: str = ""
    event: str = ""  # subscribe, unsubscribe, CLICK, VIEW, SCAN …
    event_key: str = ""
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        """WeChat retries a message it got no answer to (three times, five seconds apart):
        messages are told apart by MsgId, events by sender and CreateTime (the documented
        rule: events carry no MsgId)."""
        if self.msg_id:
            return self.msg_id
        return f"{self.from_user}:{self.create_time}"

    @property
    def text(self) -> str:
        """What the user said: the text, or what WeChat recognised in a voice message."""
        return (self.content or self.recognition).strip()


def message(fields: dict[str, str]) -> Message:
    """A parsed message; one missing the fields every message has is a protocol error."""
    try:
        create_time = int(fields.get("CreateTime", ""))
    except ValueError as exc:
        raise ProtocolError("malformed_message") from exc
    if not fields.get("FromUserName") or not fields.get("MsgType"):
        raise ProtocolError("malformed_message")
    return Message(
        to_user=fields.get("ToUserName", ""),
        from_user=fields["FromUserName"],
        create_time=create_time,
        msg_type=fields["MsgType"].strip().lower(),
        msg_id=fields.get("MsgId", "").strip(),
        content=fields.get("Content", ""),
        pic_url=fields.get("PicUrl", ""),
        media_id=fields.get("MediaId", ""),
        format=fields.get("Format", ""),
        recognition=fields.get("Recognition", ""),
        event=fields.get("Event", "").strip(),
        event_key=fields.get("EventKey", "").strip(),
        raw=fields,
    )


def text_reply(incoming: Message, content: str, *, now: int) -> bytes:
    """A passive text reply to `incoming` (to and from swapped)."""
    return build_xml(
        {
            "ToUserName": incoming.from_user,
            "FromUserName": incoming.to_user,
            "CreateTime": now,
            "MsgType": "text",
            "Content": content,
        }
    )


def encrypted_reply(
    xml: bytes, *, token: str, encoding_aes_key: str, app_id: str, timestamp: str, nonce: str
) -> bytes:
    """A reply in safe mode: the XML encrypted and signed."""
    encrypted = encrypt(xml, encoding_aes_key=encoding_aes_key, app_id=app_id)
    return build_xml(
        {
            "Encrypt": encrypted,
            "MsgSignature": signature(token, timestamp, nonce, encrypted),
            "TimeStamp": int(timestamp) if timestamp.isdigit() else timestamp,
            "Nonce": nonce,
        }
    )
