"""Alibaba Cloud SMS (阿里云短信服务, API version 2017-05-25), as its documentation describes it.

Sending: `SendSms`, an RPC-style GET to the endpoint (setting FUWU_SMS_ALIYUN["endpoint"];
tests point it at a local server) with the common parameters AccessKeyId, Action, Format=JSON,
RegionId, SignatureMethod=HMAC-SHA1, SignatureNonce (unique per request), SignatureVersion=1.0,
Timestamp (UTC, ISO 8601) and Version, and the call's PhoneNumbers, SignName, TemplateCode,
TemplateParam (JSON) and OutId (our delivery's id, echoed in the receipt). The signature:
parameters sorted by name, each name and value percent-encoded (RFC 3986: only A–Z a–z 0–9
- _ . ~ stay; a space is %20, `*` is %2A), joined `k=v&…`; the string to sign is
`GET&%2F&` + percent-encode(that); Signature = base64(HMAC-SHA1(AccessKeySecret + "&", it)).
The answer is JSON: Code "OK" and BizId (the message id receipts name), or an error Code.

Callbacks ("HTTP 批量推送"): the provider POSTs a JSON array and expects
`{"code": 0, "msg": "成功"}`. The push carries no signature of its own, so the callback URLs
configured at the provider carry our secret (`?token=`, setting FUWU_SMS_CALLBACK_TOKEN),
compared in constant time; without a configured secret every callback is refused.
- SmsUp (inbound, fields used): phone_number, content, send_time ("YYYY-MM-DD HH:MM:SS",
  Beijing time), sequence_id (unique per message: our dedupe key), dest_code (the extension).
- SmsReport (receipt, fields used): biz_id (SendSms's BizId), success (bool), err_code,
  err_msg, report_time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest

from fuwu.channels.sms.base import CallbackRefused, InboundSms, Receipt, Sent, SmsError
from fuwu.channels.sms.console import check_token

TIMEOUT = 10
BEIJING = ZoneInfo("Asia/Shanghai")
# Codes worth trying again later (throttled or the provider's own trouble); others are final.
RETRY_CODES = frozenset(
    {"Throttling", "isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY"}
)
MAX_CALLBACK = 256 * 1024


def percent_encode(text: str) -> str:
    return urllib.parse.quote(text, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The RPC signature of `params` (see the module's docstring)."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _when(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _array(body: bytes) -> list[dict[str, Any]]:
    if len(body) > MAX_CALLBACK:
        raise CallbackRefused("body too large", 413)
    try:
        rows = json.loads(body)
    except ValueError as exc:
        raise CallbackRefused("malformed JSON") from exc
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CallbackRefused("not a JSON array of objects")
    return rows


class AliyunSms:
    name = "aliyun"

    def __init__(self, config: dict[str, str]) -> None:
        self.config = config

    def request_params(
        self, phone: str, text: str, *, reference: str, nonce: str, now: datetime
    ) -> dict[str, str]:
        """The signed query of one SendSms call."""
        params = {
            "AccessKeyId": self.config["access_key_id"],
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.config.get("region") or "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": phone,
            "SignName": self.config["sign_name"],
            "TemplateCode": self.config["template_code"],
            "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
            "OutId": reference,
        }
        params["Signature"] = sign(params, self.config["access_key_secret"])
        return params

    def send(self, phone: str, text: str, *, reference: str) -> Sent:
        params = self.request_params(
            phone, text, reference=reference, nonce=uuid.uuid4().hex, now=datetime.now(UTC)
        )
        url = (
            self.config["endpoint"].rstrip("/")
            + "/?"
            + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        )
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (setting)
                answer = json.loads(response.read(64 * 1024))
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read(64 * 1024))
            except ValueError:
                raise SmsError(f"HTTP {exc.code}", retry=True) from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SmsError(f"unreachable: {exc}", retry=True) from exc
        code = str(answer.get("Code", "")) if isinstance(answer, dict) else ""
        if code != "OK":
            message = answer.get("Message", "") if isinstance(answer, dict) else ""
            raise SmsError(f"{code}: {message}", retry=code in RETRY_CODES or not code)
        return Sent(str(answer.get("BizId", "")))

    def verify(self, request: HttpRequest) -> None:
        check_token(request)

    def parse_inbound(self, body: bytes) -> list[InboundSms]:
        out = []
        for row in _array(body):
            phone, sequence = str(row.get("phone_number", "")), row.get("sequence_id")
            if not phone or sequence in (None, ""):
                raise CallbackRefused("SmsUp without phone_number or sequence_id")
            out.append(
                InboundSms(
                    phone=phone,
                    text=str(row.get("content", "")),
                    message_id=str(sequence),
                    sent_at=_when(row.get("send_time")),
                    to=str(row.get("dest_code", "")),
                )
            )
        return out

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        out = []
        for row in _array(body):
            biz_id = str(row.get("biz_id", ""))
            if not biz_id:
                raise CallbackRefused("SmsReport without biz_id")
            out.append(
                Receipt(
                    message_id=biz_id,
                    delivered=row.get("success") is True,
                    error=""
                    if row.get("success") is True
                    else f"{row.get('err_code', '')} {row.get('err_msg', '')}".strip(),
                    at=_when(row.get("report_time")),
                )
            )
        return out

    def acknowledge(self) -> tuple[bytes, str]:
        return json.dumps({"code": 0, "msg": "成功"}, ensure_ascii=False).encode(), (
            "application/json; charset=utf-8"
        )
