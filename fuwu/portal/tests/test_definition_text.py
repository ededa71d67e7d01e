"""The portal's words come from each definition (`portal: name, blurb, icon, progress`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from fuwu.cases import actions
from fuwu.portal.progress import offers, service_blurb, service_name
from fuwu.portal.tests.helpers import give_account
from fuwu.portal.tests.test_pages import open_repair
from fuwu.procedures.engine.validate import load_file
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.procedures.tests.test_validate import problems, valid

pytestmark = pytest.mark.django_db

LIBRARY = Path(__file__).resolve().parents[2] / "procedures" / "library"


def test_every_procedure_open_to_customers_speaks_to_them() -> None:
    for path in sorted(LIBRARY.glob("*.yaml")):
        procedure = load_file(path).procedure
        assert procedure is not None
        if procedure.open_to_customers:
            p = procedure.portal
            assert p.name and p.blurb and p.icon, procedure.key


def test_offers_read_the_definitions(world) -> None:
    found = {o.key: o for o in offers(world.sites["lanting"].pk, "en")}
    repair = found["property_repair"]
    assert (repair.name, repair.icon) == ("Home repair", "bi-tools")
    assert repair.description.startswith("Water, power, doors, windows")
    zh = {o.key: o for o in offers(world.sites["lanting"].pk, "zh-hans")}
    assert zh["complaint"].name == "投诉" and "调查并答复您" in zh["complaint"].description


def test_without_portal_text_the_procedure_speaks_for_itself(world) -> None:
    version = ProcedureVersion.objects.get(key="house_handover", is_current=True)
    procedure = definition_of(version)
    assert procedure.portal.name is None
    assert service_name(procedure, "zh-hans") == "房屋交接"
    assert service_name(procedure, "en") == "House handover"
    assert service_blurb(procedure, "en") == ""


def test_a_waiting_step_says_what_the_customer_is_asked_for(world) -> None:
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    case = open_repair(world)
    actions.take_transition(
        world.actor("agent"),
        case.pk,
        "issue_work_order",
        version=None,
        form={"details_confirmed": True},
    )
    actions.take_transition(
        world.actor("dispatcher"),
        case.pk,
        "repair_now",
        version=None,
        form={"repair_mode": "immediate"},
    )
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "wait_for_owner",
        version=None,
        form={"wait_reason": "业主不在家"},
    )
    page = client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "我们在等您的答复（方便上门的时间或需要的信息），收到后会继续处理。" in page
    assert "正在为您处理" not in page  # the stage's general sentence gives way to the step's
    client.post("/language/", {"language": "en", "next": "/portal/"})
    page = client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "We are waiting for your answer (a convenient time for the visit" in page


def test_progress_names_only_steps_and_icons_are_bootstrap_names(tmp_path: Path) -> None:
    data = valid()
    data["portal"] = {
        "name": {"zh": "小服务", "en": "A small service"},
        "progress": {"work": {"zh": "处理中", "en": "Working on it"}},
    }
    assert problems(tmp_path, data) == []
    data["portal"]["progress"]["nowhere"] = {"zh": "无", "en": "None"}
    found = problems(tmp_path, data)
    assert any("portal.progress names steps that do not exist: nowhere" in m for _, m in found)
    data = valid()
    data["portal"] = {"icon": "javascript:alert(1)"}
    assert [w for w, _ in problems(tmp_path, data)] == ["portal.icon"]
