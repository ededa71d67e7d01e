"""The WeChat API calls Fuwu makes from the worker (never inside a request): the access token
(`cgi-bin/token`), template messages (`cgi-bin/message/template/send`) and downloading a
picture a user sent (its PicUrl).

The API's base URL is the setting FUWU_WECHAT_API_BASE (tests point it at a local server).
The access token is kept on the account's row until shortly before it expires, so every
worker shares one: WeChat allows a limited number of token fetches a day and invalidates the
old token when a new one is fetched. A call answered errcode 40001 (invalid token) or 42001
(expired) fetches a new token once and tries again.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from fuwu.channels.wechat.models import WechatAccount

TIMEOUT = 10  # seconds: a worker waits no longer for WeChat
MARGIN = timedelta(minutes=5)  # refresh this long before WeChat's expiry
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
MAX_PICTURE = 5 * 1024 * 1024


class WechatError(Exception):
    """WeChat answered with an error (`errcode`), or could not be reached (`errcode` None)."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


def _base() -> str:
    return str(getattr(settings, "FUWU_WECHAT_API_BASE", "https://api.weixin.qq.com")).rstrip("/")


def _call(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (the URL is our setting, https in production)
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8"} if data else {},
        method="POST" if data is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            answer = json.loads(response.read(1024 * 1024) or b"{}")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise WechatError(f"WeChat unreachable: {exc}") from exc
    if not isinstance(answer, dict):
        raise WechatError("WeChat answered no JSON object")
    errcode = answer.get("errcode") or 0
    if errcode:
        raise WechatError(f"errcode {errcode}: {answer.get('errmsg', '')}", int(errcode))
    return answer


def access_token(account: WechatAccount, *, refresh: bool = False) -> str:
    """The account's access token: the stored one while it is valid, else a new one."""
    now = timezone.now()
    if (
        not refresh
        and account.access_token
        and account.access_token_expires_at is not None
        and account.access_token_expires_at > now + MARGIN
    ):
        return account.access_token
    query = urllib.parse.urlencode(
        {"grant_type": "client_credential", "appid": account.app_id, "secret": account.app_secret}
    )
    answer = _call(f"{_base()}/cgi-bin/token?{query}")
    token = str(answer.get("access_token", ""))
    if not token:
        raise WechatError("WeChat returned no access token")
    expires = now + timedelta(seconds=int(answer.get("expires_in") or 7200))
    WechatAccount.objects.filter(pk=account.pk).update(
        access_token=token, access_token_expires_at=expires
    )
    account.access_token, account.access_token_expires_at = token, expires
    return token


def _with_token(account: WechatAccount, path: str, body: dict[str, Any]) -> dict[str, Any]:
    token = access_token(account)
    try:
        return _call(f"{_base()}{path}?access_token={urllib.parse.quote(token)}", body)
    except WechatError as exc:
        if exc.errcode not in TOKEN_ERRORS:
            raise
    token = access_token(account, refresh=True)
    return _call(f"{_base()}{path}?access_token={urllib.parse.quote(token)}", body)


def send_template(
    account: WechatAccount,
    *,
    openid: str,
    template_id: str,
    url: str,
    data: dict[str, str],
) -> str:
    """Send a template message; returns WeChat's msgid. `data` maps the template's keys
    (first, keyword1 …, remark) to their values."""
    body = {
        "touser": openid,
        "template_id": template_id,
        "url": url,
        "data": {key: {"value": value} for key, value in data.items()},
    }
    answer = _with_token(account, "/cgi-bin/message/template/send", body)
    return str(answer.get("msgid", ""))


def download(url: str) -> bytes:
    """A picture a user sent (its PicUrl on WeChat's servers), at most MAX_PICTURE bytes."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise WechatError("not an http URL")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (checked)
            content = response.read(MAX_PICTURE + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WechatError(f"picture unreachable: {exc}") from exc
    if len(content) > MAX_PICTURE:
        raise WechatError("picture too large")
    return bytes(content)
