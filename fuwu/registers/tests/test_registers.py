"""A register records who holds what: written by a procedure's register_out / register_in effects."""

from __future__ import annotations

import textwrap

from fuwu.cases.replay import differences
from fuwu.procedures.registry import sync_library
from fuwu.registers.models import Entry

KEYS = textwrap.dedent("""
    key: test_keys
    name: {zh: 钥匙借用, en: Key lending}
    seed: 钥匙管理
    owner: {department: service_center}
    start: lend
    fields:
      - {key: key_label, type: text, required: true, label: {zh: 钥匙, en: Key}}
      - {key: borrower, type: text, required: true, label: {zh: 借用人, en: Borrower}}
      - {key: due_back, type: date, label: {zh: 应还日期, en: Due back}}
    steps:
      lend:
        kind: task
        name: {zh: 借出, en: Lend}
        transitions:
          - key: lend
            to: out
            label: {zh: 登记并借出, en: Register and lend}
            roles: [agent]
            effects:
              - register_out: {register: key, item_field: key_label, holder_field: borrower, due_field: due_back}
      out:
        kind: wait
        name: {zh: 借出中, en: On loan}
        transitions:
          - key: returned
            to: done
            label: {zh: 归还登记, en: Register the return}
            roles: [agent]
            effects:
              - register_in: {register: key}
      done: {kind: end, name: {zh: 已归还, en: Returned}}
""")


def test_lending_and_return_are_in_the_register(world, api, tmp_path):
    (tmp_path / "test_keys.yaml").write_text(KEYS, encoding="utf-8")
    assert not sync_library([tmp_path]).problems
    agent = api("agent")
    case = agent.post(
        "/api/cases",
        {
            "procedure": "test_keys",
            "site": "lanting",
            "channel": "walk_in",
            "title": "借 3-1502 钥匙",
            "data": {
                "key_label": "3栋2单元1502",
                "borrower": "王芳的家政 李阿姨",
                "due_back": "2026-01-05",
            },
        },
    ).json()
    case = agent.post(
        f"/api/cases/{case['id']}/transitions/lend", {"version": case["version"]}
    ).json()
    open_entries = agent.get("/api/registers/key").json()
    assert [(e["item"], e["holder"], e["case_id"]) for e in open_entries] == [
        ("3栋2单元1502", "王芳的家政 李阿姨", case["id"])
    ]
    assert (
        open_entries[0]["due_back"].startswith("2026-01-05") and open_entries[0]["overdue"] is True
    )
    assert api("outsider").get("/api/registers/key").json() == []
    agent.post(f"/api/cases/{case['id']}/transitions/returned", {"version": case["version"]})
    assert agent.get("/api/registers/key").json() == []
    history = agent.get("/api/registers/key", open="false").json()
    assert len(history) == 1 and history[0]["returned_at"]
    assert Entry.objects.get().case_id == case["id"]
    assert [e["kind"] for e in agent.get(f"/api/cases/{case['id']}/events").json()].count(
        "registered"
    ) == 2
    assert agent.get("/api/registers/spaceships").status_code == 404
    assert differences() == []


def test_overdue_key_is_reminded_once(world, api, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from fuwu.notifications.models import Notification
    from fuwu.registers.reminders import remind_due

    (tmp_path / "test_keys.yaml").write_text(KEYS, encoding="utf-8")
    assert not sync_library([tmp_path]).problems
    agent = api("agent")
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    case = agent.post(
        "/api/cases",
        {
            "procedure": "test_keys",
            "site": "lanting",
            "channel": "walk_in",
            "title": "借钥匙",
            "data": {"key_label": "K-8", "borrower": "李阿姨", "due_back": due},
        },
    ).json()
    agent.post(f"/api/cases/{case['id']}/transitions/lend", {"version": case["version"]})
    assert remind_due() == 0  # not due yet
    later = timezone.now() + timedelta(days=3)
    assert remind_due(now=later) == 1
    assert remind_due(now=later) == 0  # once
    note = Notification.objects.get(kind="register_due")
    assert note.recipient == world.users["sc_manager"] and note.data["item"] == "K-8"
