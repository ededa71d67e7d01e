"""The admin speaks Chinese: every changelist and add page, opened in zh-hans by an
administrator, shows no untranslated English word (model and field names, app labels, inlines,
actions, filters, help texts). Codes that are the same in every language are allowed."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from fuwu.procedures.models import ProcedureVersion

# Codes, formats and key names, the same in Chinese text (the last two lines: key names in
# Django's own Chinese help texts, and recurrence-rule keywords).
CODES = """API ID URL JSON CSV HTTP HTTPS SMTP SMS IP UTC SLA DMS VIP KPI IT QC Fuwu Django Webhook
HMAC SHA MB KB GB PNG JPEG WebP CEL YAML Mermaid ASCII ISO RRULE Idempotency Key Bearer DN
MPa mm km PDF Excel PostgreSQL SQLite English RFC TLS POST GET VIN AM PM
LDAP Control Command Mac
FREQ DAILY WEEKLY MONTHLY YEARLY BYMONTHDAY BYDAY BYHOUR BYMINUTE INTERVAL"""
KNOWN = frozenset(CODES.split())
WORD = re.compile(r"[A-Za-z][A-Za-z'-]{1,}")


def visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style|noscript|select)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    text = htmllib.unescape(re.sub(r"(?s)<[^>]+>", " ", page))
    # Codes, not words: keys (toyota_seven_step), file names and paths, {placeholders}.
    return re.sub(r"\S*[_/{}]\S*|\S*\w\.\w\S*", " ", text)


def english_words(text: str) -> set[str]:
    # A one-word procedure key (complaint) is a code too.
    keys = set(ProcedureVersion.objects.values_list("key", flat=True))
    return {w for w in WORD.findall(text) if w not in KNOWN and w not in keys}


PAGES = sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


@pytest.fixture
def root(db) -> Client:
    user = get_user_model().objects.create_superuser("管理员", "", "pw-root-123")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_index_is_chinese(root):
    r = root.get("/admin/")
    assert r.status_code == 200
    assert english_words(visible_text(r.content.decode())) == set()


@pytest.mark.parametrize(("app", "model"), PAGES)
def test_changelist_and_add_pages_are_chinese(root, app, model):
    found = {}
    for page in ("changelist", "add"):
        try:
            url = reverse(f"admin:{app}_{model}_{page}")
        except NoReverseMatch:
            continue
        r = root.get(url)
        if r.status_code == 403:  # read-only: no add page
            continue
        assert r.status_code == 200, url
        words = english_words(visible_text(r.content.decode()))
        if words:
            found[url] = sorted(words)
    assert found == {}
