"""The read-only procedure pages: the list with its search, and a page for every procedure in
the library, in both languages."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import check_library, definition_of

LIBRARY = sorted(item.procedure.key for item in check_library() if item.procedure is not None)


def _client(world, persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(world.users[persona])
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def test_the_list_shows_every_current_procedure(world, django_assert_max_num_queries):
    client = _client(world, "agent")
    with django_assert_max_num_queries(10):
        r = client.get("/procedures/")
    assert r.status_code == 200
    html = r.content.decode()
    for key in LIBRARY:
        assert f'href="/procedures/{key}/"' in html
    assert "物业报修" in html and "客户可在门户提交" in html
    assert 'data-testid="admin-link"' not in html  # not an administrator


def test_search_by_name_in_either_language_or_key(world):
    client = _client(world, "agent")
    for q in ("报修", "repair", "PROPERTY_REPAIR".lower()):
        html = client.get("/procedures/", {"q": q}).content.decode()
        assert 'href="/procedures/property_repair/"' in html, q
        assert 'href="/procedures/hotpot_table_service/"' not in html, q
    html = client.get("/procedures/", {"q": "没有这种程序"}).content.decode()
    assert 'data-testid="no-procedures"' in html and "没有这种程序" in html


@pytest.mark.parametrize("key", LIBRARY)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_procedure_page_renders(world, key, language, django_assert_max_num_queries):
    client = _client(world, "technician", language)
    with django_assert_max_num_queries(10):
        r = client.get(f"/procedures/{key}/")
    assert r.status_code == 200
    html = r.content.decode()
    p = definition_of(ProcedureVersion.objects.get(key=key, is_current=True))
    assert htmllib.escape(p.name.get(language)) in html
    for step_key, step in p.steps.items():
        assert f'id="step-{step_key}"' in html
        assert htmllib.escape(step.name.get(language)) in html
        for t in step.transitions:
            assert htmllib.escape(t.label.get(language)) in html
    diagram = re.search(r'data-diagram="([^"]*)"', html)
    assert diagram and htmllib.unescape(diagram.group(1)).startswith("flowchart TD")
    assert "vendor/mermaid/mermaid.min.js" in html
    if language == "en":
        # The other language's labels stay out (procedure text and page words alike).
        body = html.split("<main", 1)[1]
        assert not re.search(r"步骤|表单|时限|可执行", body), re.findall(
            r".{20}[步表时可].{20}", body
        )[:5]


def test_limits_escalation_and_checklist_ranges(world):
    html = _client(world, "agent").get("/procedures/property_repair/").content.decode()
    # urgent: 15 min response, 4 h resolution; reception's 15-minute step limit
    assert "<td>紧急</td><td>15分钟</td><td>4小时</td>" in html
    assert "接待受理" in html and "15分钟" in html
    assert "升级规则" in html and "部门经理" in html
    assert "开具维修工作单并通知工程部" in html and "客服" in html  # a move and its roles
    html = _client(world, "agent", "en").get("/procedures/property_repair/").content.decode()
    assert "<td>Urgent</td><td>15 min</td><td>4 h</td>" in html


def test_measured_ranges_are_shown(world):
    measured = [
        (key, step_key, item)
        for key in LIBRARY
        for step_key, step in definition_of(
            ProcedureVersion.objects.get(key=key, is_current=True)
        ).steps.items()
        for item in step.checklist
        if item.type.value == "measurement"
    ]
    assert measured, "the library has measured checklist items"
    key, _, item = measured[0]
    from fuwu.procedures.engine.machine import range_text

    html = _client(world, "agent").get(f"/procedures/{key}/").content.decode()
    assert htmllib.escape(range_text(item)) in html


def test_administrators_get_a_link_to_the_admin(world):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    client = Client()
    client.login(username="root", password="pw-root")
    row = ProcedureVersion.objects.get(key="complaint", is_current=True)
    html = client.get("/procedures/complaint/").content.decode()
    assert f'href="/admin/procedures/procedureversion/{row.pk}/change/"' in html
    assert 'data-testid="admin-link"' in client.get("/procedures/").content.decode()


def test_unknown_procedure_is_404_and_anonymous_signs_in(world):
    assert _client(world, "agent").get("/procedures/no_such_thing/").status_code == 404
    r = Client().get("/procedures/property_repair/")
    assert r.status_code == 302 and "/login/" in r["Location"]


RAW = re.compile(r"\bTrue\b|\bFalse\b|\bNone\b|==|!=|&&|\|\||\bdata\.|\bchecklist\.|\bchecks\.")


def _visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes, scripts or the diagram's source."""
    html = re.sub(r"(?s)<(script|noscript|style)\b.*?</\1>", " ", html)
    return htmllib.unescape(re.sub(r"(?s)<[^>]+>", " ", html))


@pytest.mark.parametrize("key", LIBRARY)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_procedure_page_shows_code(world, key, language):
    """Guards, conditions and formulas read as words; no raw expression, Python value or key."""
    html = _client(world, "technician", language).get(f"/procedures/{key}/").content.decode()
    text = _visible_text(html)
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    p = definition_of(ProcedureVersion.objects.get(key=key, is_current=True))
    for field_key in p.all_fields():
        if "_" in field_key:  # a one-word key may be an ordinary English word
            assert not re.search(rf"\b{field_key}\b", text), field_key
