"""The admin: every page renders in Chinese and English, case history is read-only, tokens revoke.

Also checks the English catalogue: every entry translated, none fuzzy, the compiled file current,
and every gettext string in the source present in it.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation

from fuwu.cases import actions
from fuwu.cases.choices import WorkKind
from fuwu.cases.models import Case, Event
from fuwu.core.models import ApiToken, CalendarDay, Role, Shift, Skill, Staff
from fuwu.core.tokens import issue_token
from fuwu.sla.escalation import fire_due
from fuwu.testing.factories import World

FUWU = Path(__file__).resolve().parents[2]
PO = FUWU / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
LANGUAGES = ["zh-hans", "en"]
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The world creates fifteen users; the default hasher spends seconds on them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def case(world: World) -> Case:
    """A case with events, a work-log row, fired escalation rungs and their notifications."""
    t0 = timezone.now() - timedelta(days=10)
    opened = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="电梯异响",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": "电梯异响", "service_type": "free"},
        now=t0,
    )
    actions.log_work(
        world.actor("sc_manager"),  # the owning department's manager (an agent logs no work)
        opened.pk,
        actions.WorkEntry(kind=WorkKind.LABOUR, description="现场查看", hours=Decimal("0.5")),
    )
    assert fire_due(opened.pk, now=t0 + timedelta(days=3))
    return Case.objects.get(pk=opened.pk)


@pytest.fixture
def populated(world: World, case: Case) -> World:
    """At least one row for each model an administrator configures."""
    Skill.objects.create(code="elevator", name="电梯", name_en="Elevators")
    Shift.objects.create(name="早班", start=time(8), end=time(16))
    CalendarDay.objects.create(date=date(2026, 10, 1), kind="holiday", note="国庆节")
    world.token("agent")
    return world


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_page_renders(admin_client, populated, language):
    """Each registered model's list, and the page of one of its rows, in both languages."""
    assert {"cases.Case", "core.Staff", "core.ApiToken", "auth.User"} <= {
        m._meta.label for m in REGISTERED
    }
    failed = []
    for model in REGISTERED:
        urls = [_url(model, "changelist")]
        row = model._default_manager.order_by("pk").last()
        if row is not None:
            urls.append(_url(model, "change", row.pk))
        for url in urls:
            status = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language).status_code
            if status != 200:
                failed.append((url, status))
    assert failed == []


def test_staff_list_speaks_the_request_language(admin_client, world):
    url = _url(Staff, "changelist")
    english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Select Staff to change" in english
    for label in ("Username", "Department", "Reports to", "By Site", "By Department"):
        assert label in english
    assert "员工" not in english
    assert "部门" not in english
    assert "上级" not in english
    chinese = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "员工" in chinese
    assert "上级" in chinese
    assert "Select Staff" not in chinese
    assert "Reports to" not in chinese


def test_django_admin_itself_is_chinese_for_zh_hans(admin_client, world):
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Fuwu 服务 管理" in page
    assert "注销" in page or "登出" in page  # Django's own zh_Hans catalogue
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fuwu administration" in page


def test_case_history_is_read_only(admin_client, case):
    event = Event.objects.filter(case=case).order_by("seq").first()
    assert event is not None
    before = (case.title, case.status, case.step, Event.objects.filter(case=case).count())

    assert admin_client.post(_url(Case, "add"), {"title": "x"}).status_code == 403
    assert admin_client.post(_url(Case, "change", case.pk), {"title": "改过了"}).status_code == 403
    assert admin_client.post(_url(Case, "delete", case.pk), {"post": "yes"}).status_code == 403
    assert admin_client.post(_url(Event, "delete", event.pk), {"post": "yes"}).status_code == 403
    changelist = admin_client.get(_url(Case, "changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert _url(Case, "add") not in changelist

    case.refresh_from_db()
    assert (case.title, case.status, case.step, Event.objects.filter(case=case).count()) == before


def test_case_page_shows_its_events_in_order(admin_client, case):
    page = admin_client.get(
        _url(Case, "change", case.pk), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    kinds = list(Event.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))
    assert kinds[0] == "opened"
    labels = re.findall(r'<td class="field-kind_label">\s*<p>(.*?)</p>', page)
    numbers = re.findall(r'<td class="field-seq_number">\s*<p>(\d+)</p>', page)
    with translation.override("en"):
        assert labels == [str(Event(kind=k).get_kind_display()) for k in kinds]
    assert labels[0] == "Opened"
    assert numbers == [str(n) for n in range(1, len(kinds) + 1)]
    assert "System records" in page  # checklist answers, confirmation and rating, apart


def test_case_search_finds_the_quoted_number(admin_client, case):
    page = admin_client.get(_url(Case, "changelist"), {"q": case.number}).content.decode()
    assert case.title in page


def test_revoke_selected_tokens(admin_client, world):
    keep, _ = issue_token(world.users["agent"], name="keep")
    first, _ = issue_token(world.users["agent"], name="first")
    earlier = timezone.now() - timedelta(days=1)
    old, _ = issue_token(world.users["technician"], name="old")
    ApiToken.objects.filter(pk=old.pk).update(revoked_at=earlier)

    assert admin_client.post(_url(ApiToken, "add"), {}).status_code == 403
    response = admin_client.post(
        _url(ApiToken, "changelist"),
        {"action": "revoke", "_selected_action": [first.pk, old.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.status_code == 200
    assert "Revoked 1 token." in response.content.decode()
    first.refresh_from_db()
    old.refresh_from_db()
    keep.refresh_from_db()
    assert first.revoked_at is not None
    assert old.revoked_at == earlier  # already revoked: the recorded time does not move
    assert keep.revoked_at is None


def test_user_and_staff_profile_on_one_page(admin_client, world):
    department = world.dept("lanting", "engineering")
    role = Role.objects.get(code="technician")
    prefix = "staff-0-"
    data = {
        "username": "zhao.lei",
        "usable_password": "true",
        "password1": "a-long-test-password",
        "password2": "a-long-test-password",
        "staff-TOTAL_FORMS": "1",
        "staff-INITIAL_FORMS": "0",
        "staff-MIN_NUM_FORMS": "0",
        "staff-MAX_NUM_FORMS": "1",
        prefix + "display_name": "赵磊",
        prefix + "language": "zh-hans",
        prefix + "department": department.pk,
        prefix + "sites": [world.sites["lanting"].pk],
        prefix + "roles": [role.pk],
    }
    response = admin_client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    user = get_user_model().objects.get(username="zhao.lei")
    assert user.check_password("a-long-test-password")
    assert user.staff.display_name == "赵磊"
    assert user.staff.department == department
    assert list(user.staff.roles.all()) == [role]


def test_a_login_without_a_staff_profile(admin_client, world):
    """Customer portal logins have no profile: the empty inline form creates none."""
    data = {
        "username": "customer.wang",
        "usable_password": "true",
        "password1": "a-long-test-password",
        "password2": "a-long-test-password",
        "staff-TOTAL_FORMS": "1",
        "staff-INITIAL_FORMS": "0",
        "staff-MIN_NUM_FORMS": "0",
        "staff-MAX_NUM_FORMS": "1",
        "staff-0-language": "zh-hans",
    }
    assert admin_client.post(reverse("admin:auth_user_add"), data).status_code == 302
    assert not Staff.objects.filter(user__username="customer.wang").exists()


def test_procedure_versions_are_read_only_with_their_definition(admin_client, library):
    from fuwu.procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(key="property_repair", is_current=True)
    assert admin_client.post(_url(ProcedureVersion, "add"), {}).status_code == 403
    page = admin_client.get(_url(ProcedureVersion, "change", version.pk)).content.decode()
    definition = re.search(r'<code class="fuwu-json"[^>]*>(.*?)</code>', page, re.S)
    assert definition is not None
    assert "\n  &quot;" in definition.group(1)  # indented, one key a line


# The English catalogue ----------------------------------------------------------------------


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


@dataclass
class PoEntry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)


def _po_entries(path: Path) -> list[PoEntry]:
    """A small .po reader (entries are separated by blank lines; strings may continue)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key, seen = PoEntry(), "", False
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags = [flag.strip() for flag in line[2:].split(",")]
            elif m := re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line):
                key, text = m.group(1), _unquote(m.group(2))
                if key.startswith("msgstr"):
                    entry.msgstr.append(text)
                else:
                    setattr(entry, key, text)
                    seen = True
            elif line.startswith('"') and key:
                text = _unquote(line[1:-1])
                if key.startswith("msgstr"):
                    entry.msgstr[-1] += text
                else:
                    setattr(entry, key, getattr(entry, key) + text)
        if seen:
            entries.append(entry)
    return entries


def test_english_catalogue_is_complete():
    everything = _po_entries(PO)
    entries = [e for e in everything if e.msgid]  # the header has an empty msgid
    assert len(entries) > 100
    assert [e.msgid for e in entries if not e.translated] == []
    assert [e.msgid for e in everything if "fuzzy" in e.flags] == []
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert [e.msgid for e in entries if any(cjk.search(s) for s in e.msgstr)] == []


def test_compiled_catalogue_matches_the_po_file():
    """The .mo is what Django reads: a .po edited but not compiled changes nothing."""
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for entry in _po_entries(PO):
        if not entry.msgid:
            continue
        if entry.msgid_plural is not None:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr[0]
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstr[1]
        elif entry.msgctxt is not None:  # pgettext: one msgid, translated per context
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr[0], entry.msgid
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr[0], entry.msgid


GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}


def _source_strings() -> set[str]:
    """Literal first arguments of gettext calls in the app code (not tests, not migrations)."""
    found: set[str] = set()
    for path in FUWU.rglob("*.py"):
        parts = path.relative_to(FUWU).parts
        if {"tests", "testing", "migrations"} & set(parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in GETTEXT_NAMES or not node.args:
                continue
            arg = (
                node.args[1] if name.startswith("pgettext") and len(node.args) > 1 else node.args[0]
            )
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


def test_every_source_string_is_in_the_english_catalogue():
    """Fails when code gains a string and nobody ran makemessages and translated it."""
    translated = {e.msgid for e in _po_entries(PO) if e.translated}
    missing = sorted(_source_strings() - translated)
    assert missing == [], (
        "run `cd fuwu && ../.venv/bin/fuwu makemessages -l en --ignore 'tests/*' "
        "--ignore 'testing/*'`, translate, then `compilemessages -l en`"
    )
