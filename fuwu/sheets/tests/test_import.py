"""Imports (issue 12): the whole file is checked first, every problem named by row and column
in the reader's language, and nothing is written until a file without problems is confirmed;
then one transaction of bulk writes through the entities' actions."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer, RecordChange
from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling.models import LabourOperation, Part, Stock
from fuwu.sheets import actions
from fuwu.sheets.models import ImportBatch
from fuwu.web.tests.test_queue import signed_in

pytestmark = pytest.mark.django_db

UNITS = "楼栋,单元,房号,建筑面积（㎡）,是否入住,住户姓名,住户电话\n"


def units_csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return (UNITS + "\n".join(lines) + "\n").encode(encoding)


def upload(client: Client, world: Any, kind: str, content: bytes, name: str = "f.csv") -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post("/imports/", {"kind": kind, "site": world.sites["lanting"].pk, "file": file})


def problems(world: Any, persona: str = "sc_manager") -> list[tuple[Any, str, str]]:
    batch = ImportBatch.objects.filter(created_by=world.users[persona]).first()
    assert batch is not None
    return [(p.row, p.column, p.message) for p in actions.preview(batch).problems]


def test_units_with_residents_from_gbk_csv_preview_then_confirm(world):
    manager = signed_in(world, "sc_manager")
    content = units_csv(
        "5,1,101,96.5,是,张伟,13800000001",
        "5栋,1单元,102,,否,,",
        "5,2,201,118.3,已入住,张伟,13800000001",  # one resident, two units
        "5,2,202,89,是,王芳,13812345678",  # on file under the same name: linked
        encoding="gbk",
    )
    response = upload(manager, world, "units", content)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == "pending" and batch.rows == 4
    page = manager.get(response["Location"]).content.decode()
    assert 'data-testid="import-confirm"' in page and "13800000001" in page  # the first rows
    assert not Asset.objects.filter(label__startswith="5栋").exists()  # nothing yet
    manager.post(f"/imports/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert batch.status == "done" and batch.written == 4
    units = {a.label: a for a in Asset.objects.filter(label__startswith="5栋")}
    assert set(units) == {"5栋1单元101", "5栋1单元102", "5栋2单元201", "5栋2单元202"}
    first = units["5栋1单元101"]
    assert first.kind == AssetKind.UNIT
    assert first.attributes == {
        "building": 5,
        "unit": 1,
        "room": "101",
        "occupied": True,
        "area_m2": 96.5,
    }
    assert units["5栋1单元102"].owner is None and not units["5栋1单元102"].attributes["occupied"]
    zhang = Customer.objects.get(phone="13800000001")
    assert units["5栋2单元201"].owner == zhang == first.owner
    assert units["5栋2单元202"].owner == world.customers["owner"]
    assert Customer.objects.filter(name="王芳").count() == 1
    assert RecordChange.objects.filter(customer=zhang, action="created").count() == 1
    assert RecordChange.objects.filter(asset__in=units.values()).count() == 4
    # Confirmed once: a second confirm is refused and writes nothing more.
    with pytest.raises(EngineError) as refused:
        actions.confirm(world.actor("sc_manager"), batch.pk)
    assert refused.value.code == "import_not_pending"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_problem_named_by_row_and_column_and_nothing_written(world, language):
    manager = signed_in(world, "sc_manager")
    if language == "en":
        manager.post("/language/", {"language": "en"})
    content = units_csv(
        "6,1,101,96,是,赵六,13800000009",
        "6,1,101,96,是,,",  # the same unit again
        "3,2,1502,90,否,,",  # registered already (the world's unit)
        "6,1,103,九十,也许,钱七,12-3",  # bad area, yes/no and phone
        "6,1,104,90,是,孙八,13800000009",  # the phone row 2 gave another name
        ",1,105,90,是,,",  # no building
    )
    upload(manager, world, "units", content)
    found = problems(world)
    en = language == "en"
    room, area, occupied = (
        ("Room", "Area (m²)", "Occupied") if en else ("房号", "建筑面积（㎡）", "是否入住")
    )
    rows = {(row, column) for row, column, _m in found}
    assert (3, room) in rows and (4, room) in rows
    assert (5, area) in rows and (5, occupied) in rows
    assert (5, "Resident phone" if en else "住户电话") in rows
    assert (7, "Building" if en else "楼栋") in rows
    messages = " ".join(m for _r, _c, m in found)
    if en:
        assert "Same as row 2" in messages and "already registered" in messages
    else:
        assert "与第 2 行重复" in messages and "已登记" in messages
    # The bad phone's row stopped at its cell; a clean file with the rest names row 6's name.
    assert not Asset.objects.filter(label__startswith="6栋").exists()
    assert not Customer.objects.filter(name="赵六").exists()
    batch = ImportBatch.objects.get()
    assert batch.status == "refused"
    page = manager.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="import-problem"' in page and 'data-testid="import-confirm"' not in page


def test_wrong_columns_are_refused_with_the_header_row(world):
    manager = signed_in(world, "sc_manager")
    upload(manager, world, "units", "楼栋,单元,门牌\n1,1,101\n".encode())
    found = problems(world)
    assert (1, "门牌", "无法识别的列“门牌”，请使用模板中的列名。") in found
    assert (1, "房号", "缺少列“房号”。") in found


def test_residents_of_units_on_file_unknown_building_and_duplicates(world):
    manager = signed_in(world, "sc_manager")
    head = "姓名,电话,电子邮件,楼栋,单元,房号\n"
    bad = head + "\n".join(
        [
            "周九,13700000001,zhou@example.com,3,2,1502",
            "吴十,13700000001,,,,",  # the same phone again
            "郑一,13700000002,,9,1,101",  # no building 9
            "冯二,13700000003,,3,1,999",  # building 3 exists, not this unit
            "陈三,13812345678,,,,",  # the phone of a customer on file
            "褚四,138-bad,not-mail,,,",
        ]
    )
    upload(manager, world, "customers", bad.encode("utf-8-sig"))
    found = {(r, c): m for r, c, m in problems(world)}
    assert found[(3, "电话")] == "与第 2 行重复。"
    assert found[(4, "楼栋")] == "本项目没有楼栋“9”。"
    assert found[(5, "房号")] == "本项目没有房屋“3栋1单元999”。"
    assert found[(6, "电话")] == "本项目已有客户“王芳”使用此电话。"
    assert (7, "电话") in found and (7, "电子邮件") in found
    assert not Customer.objects.filter(name="周九").exists()
    # Fixed: the resident becomes the unit's owner.
    ImportBatch.objects.all().delete()
    upload(manager, world, "customers", (head + "周九,13700000001,,3,2,1502\n").encode())
    batch = ImportBatch.objects.get()
    actions.confirm(world.actor("sc_manager"), batch.pk)
    unit = Asset.objects.get(pk=world.assets["unit"].pk)
    assert unit.owner.name == "周九"
    assert RecordChange.objects.filter(asset=unit, action="updated").exists()


def test_a_unit_registered_between_preview_and_confirm_writes_nothing(world):
    manager = signed_in(world, "sc_manager")
    upload(manager, world, "units", units_csv("7,1,101,,是,何五,13600000001", "7,1,102,,否,,"))
    batch = ImportBatch.objects.get()
    Asset.objects.create(site=world.sites["lanting"], kind="unit", label="7栋1单元102")
    batch = actions.confirm(world.actor("sc_manager"), batch.pk)
    assert batch.status == "refused" and batch.problems[0]["row"] == 3
    assert not Customer.objects.filter(name="何五").exists()
    assert Asset.objects.filter(label__startswith="7栋").count() == 1


def test_five_hundred_units_import_in_a_few_queries(world, django_assert_max_num_queries):
    lines = [f"8,{u},{f},90,是,住户{u}{f},139{u:04d}{f:04d}" for u in (1, 2) for f in range(250)]
    upload(signed_in(world, "sc_manager"), world, "units", units_csv(*lines))
    batch = ImportBatch.objects.get()
    assert batch.status == "pending", batch.problems[:3]
    with django_assert_max_num_queries(20):
        actions.confirm(world.actor("sc_manager"), batch.pk)
    assert Asset.objects.filter(label__startswith="8栋").count() == 500
    assert Customer.objects.filter(name__startswith="住户").count() == 500


def test_xlsx_upload_and_the_template(world):
    manager = signed_in(world, "sc_manager")
    template = manager.get("/imports/templates/units/")
    book = load_workbook(io.BytesIO(template.content))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers == ["楼栋", "单元", "房号", "建筑面积（㎡）", "是否入住", "住户姓名", "住户电话"]
    made = Workbook()
    sheet = made.active
    sheet.append(headers)
    sheet.append([9, 1, 1201, 96.5, "是", "林一", 13500000001])  # numbers typed as numbers
    out = io.BytesIO()
    made.save(out)
    upload(manager, world, "units", out.getvalue(), "units.xlsx")
    batch = ImportBatch.objects.get()
    actions.confirm(world.actor("sc_manager"), batch.pk)
    unit = Asset.objects.get(label="9栋1单元1201")
    assert unit.owner.phone == "13500000001" and unit.attributes["area_m2"] == 96.5


def test_vehicles_parts_and_labour(world):
    manager = signed_in(world, "as_manager")

    def post(kind: str, text: str) -> ImportBatch:
        file = io.BytesIO(text.encode())
        file.name = f"{kind}.csv"
        manager.post("/imports/", {"kind": kind, "site": world.sites["dealer"].pk, "file": file})
        return ImportBatch.objects.filter(kind=kind).first()  # type: ignore[return-value]

    cars = post(
        "vehicles",
        "车牌号,车型,车架号,车主姓名,车主电话\n粤B·3K5X8,,,,\n粤b 12345,凯美瑞,,,13987654321\n"
        "粤B·99999,,,,13000000000\n",
    )
    found = {(p["row"], p["code"]) for p in cars.problems}
    assert found == {(2, "vehicle_exists"), (4, "unknown_owner")}
    parts = post("parts", "配件号,名称,单价,补货点\nP-1,机滤,58,10\nP-2,空滤,-1,\n")
    assert [(p["row"], p["column"], p["code"]) for p in parts.problems] == [
        (3, "单价", "too_small")
    ]
    parts = post("parts", "配件号,名称,单价,补货点\nP-1,机滤,58,10\nP-2,空滤,30,\n")
    actions.confirm(world.actor("as_manager"), parts.pk)
    assert Part.objects.filter(number__startswith="P-").count() == 2
    assert Stock.objects.filter(part__number="P-1").exists()
    labour = post(
        "labour",
        "作业代码,名称,标准工时,作业类型,所需技能\nMT,保养,1.5,保养,\nX,换胎,0,轮胎,nope\n",
    )
    codes = {(p["column"], p["code"]) for p in labour.problems}
    assert codes == {("标准工时", "too_small"), ("作业类型", "bad_choice")}
    labour = post("labour", "作业代码,名称,标准工时,作业类型\nMT,保养,1.5,保养\n")
    actions.confirm(world.actor("as_manager"), labour.pk)
    assert LabourOperation.objects.get(code="MT").work_type == "maintenance"


def test_only_managers_of_the_site_import(world, api):
    assert signed_in(world, "agent").get("/imports/").status_code == 403
    with pytest.raises(EngineError) as refused:
        actions.upload(
            world.actor("as_manager"),
            kind="units",
            site_id=world.sites["lanting"].pk,
            filename="x.csv",
            content=units_csv("1,1,101,,,,"),
        )
    assert refused.value.code == "invalid_form"  # another site's: not one to choose
    with pytest.raises(EngineError) as refused:
        actions.upload(
            world.actor("agent"),
            kind="units",
            site_id=world.sites["lanting"].pk,
            filename="x.csv",
            content=units_csv("1,1,101,,,,"),
        )
    assert refused.value.code == "forbidden"
    assert not ImportBatch.objects.exists()


def test_api_upload_preview_and_confirm(world, api):
    client = api("sc_manager", "en")
    file = io.BytesIO(units_csv("10,1,101,90,yes,Lin,13500000002", "10,1,101,90,no,,"))
    file.name = "units.csv"
    headers = {k: v for k, v in client.headers.items()}
    answer = client.client.post(
        "/api/imports", {"kind": "units", "site": "lanting", "file": file}, **headers
    )
    assert answer.status_code == 201
    data = answer.json()
    assert data["status"] == "refused" and data["rows"] == 2
    assert data["problems"] == [
        {"row": 3, "column": "Room", "code": "duplicate_in_file", "message": "Same as row 2."}
    ]
    assert client.post(f"/api/imports/{data['id']}/confirm").status_code == 400
    file = io.BytesIO(units_csv("10,1,101,90,yes,Lin,13500000002"))
    file.name = "units.csv"
    data = client.client.post(
        "/api/imports", {"kind": "units", "site": "lanting", "file": file}, **headers
    ).json()
    assert data["status"] == "pending" and data["preview"][0][:3] == ["10", "1", "101"]
    done = client.post(f"/api/imports/{data['id']}/confirm")
    assert done.status_code == 200 and done.json()["written"] == 1
    template = client.get("/api/imports/templates/parts")
    assert [c.value for c in load_workbook(io.BytesIO(template.content)).worksheets[0][1]][:2] == [
        "Part number",
        "Name",
    ]


def test_staff_by_administrators_only_without_the_admin_role(world):
    from django.contrib.auth import get_user_model

    from fuwu.core.actors import actor_for
    from fuwu.core.models import Staff

    head = "用户名,姓名,部门代码,角色,电话\n"
    content = head + "\n".join(
        [
            "li.ming,李明,service_center,客服、Technician,13900000001",
            "li.ming,李明二,service_center,agent,",  # the same username again
            "agent,重名,service_center,agent,",  # taken
            "wu.yi,吴一,nowhere,agent,",  # no such department here
            "zhao.er,赵二,engineering,管理员,",  # not a role an import grants
            "bad name,坏名,engineering,agent,",
        ]
    )
    site = world.sites["lanting"].pk
    with pytest.raises(EngineError) as refused:  # a manager: not enough to grant roles
        actions.upload(
            world.actor("sc_manager"), kind="staff", site_id=site, filename="s.csv",
            content=content.encode(),
        )  # fmt: skip
    assert refused.value.code == "forbidden"
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    admin = actor_for(root)
    batch = actions.upload(
        admin, kind="staff", site_id=site, filename="s.csv", content=content.encode()
    )
    codes = [(p["row"], p["column"], p["code"]) for p in batch.problems]
    assert codes == [
        (3, "用户名", "duplicate_in_file"),
        (4, "用户名", "username_taken"),
        (5, "部门代码", "unknown_department"),
        (6, "角色", "bad_choice"),
        (7, "用户名", "bad_username"),
    ]
    batch = actions.upload(
        admin, kind="staff", site_id=site, filename="s.csv",
        content=(head + "li.ming,李明,service_center,客服、Technician,13900000001\n").encode(),
    )  # fmt: skip
    actions.confirm(admin, batch.pk)
    made = Staff.objects.get(user__username="li.ming")
    assert {r.code for r in made.roles.all()} == {"agent", "technician"}
    assert [s.code for s in made.sites.all()] == ["lanting"] and not made.user.has_usable_password()
