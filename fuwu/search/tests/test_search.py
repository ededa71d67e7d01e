"""The global search through `GET /api/search` on whichever engine runs the tests (SQLite's
FTS5 or PostgreSQL's tsvector: run with DATABASE_URL=postgres://… for the second)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import connection

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.search import index, text
from fuwu.testing.factories import World


def _repair(world: World, title: str, **kw: Any) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title=title,
        data={"repair_item": title, "service_type": "free", **kw.pop("data", {})},
        **kw,
    )


def _dealer(world: World, request: str, **data: Any) -> Case:
    return actions.open_case(
        world.actor("cc_agent"),
        procedure_key="after_sales_call_center",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="售后来电",
        asset_id=world.assets["car"].pk,
        customer_id=world.customers["driver"].pk,
        data={"request": request, **data},
    )


def _found(api: Any, persona: str, q: str) -> dict[str, Any]:
    r = api(persona).get("/api/search", q=q)
    assert r.status_code == 200, r.content
    return r.json()  # type: ignore[no-any-return]


def _case_ids(body: dict[str, Any]) -> set[int]:
    return {c["id"] for c in body["cases"]}


def test_chinese_words_match_and_characters_across_words_do_not(world: World, api: Any) -> None:
    leak = _repair(world, "卫生间漏水严重")
    inspection = _repair(world, "部门卫生检查")
    assert _case_ids(_found(api, "agent", "漏水")) == {leak.pk}
    assert _case_ids(_found(api, "agent", "卫生间 漏水")) == {leak.pk}
    # As one types: the last word is a prefix.
    assert _case_ids(_found(api, "agent", "卫生间漏")) == {leak.pk}
    # 门卫 (a guard) is in 部门卫生检查 as characters only: a substring search finds it, we do not.
    assert Case.objects.filter(title__contains="门卫").get() == inspection
    assert _case_ids(_found(api, "agent", "门卫")) == set()
    assert _case_ids(_found(api, "agent", "卫生")) == {leak.pk, inspection.pk}


def test_the_index_follows_each_change_of_the_text(world: World, api: Any) -> None:
    case = _repair(world, "楼道灯坏")
    assert _case_ids(_found(api, "agent", "电工")) == set()
    actions.take_transition(
        world.actor("agent"),
        case.pk,
        "cancel",
        version=case.version,
        form={"cancel_reason": "业主已请电工修好"},
    )
    assert _case_ids(_found(api, "agent", "电工")) == {case.pk}
    assert _case_ids(_found(api, "agent", "楼道")) == {case.pk}


def test_plates_in_every_spelling_find_the_car_and_its_cases(world: World, api: Any) -> None:
    case = _dealer(world, "空调不制冷")
    car = world.assets["car"]  # labelled 粤B·3K5X8
    for typed in ("粤B3K5X8", "粤B 3K5X8", "粤B·3K5X8", "粤b3k5x8", "3k5x8"):
        body = _found(api, "cc_agent", typed)
        assert [a["id"] for a in body["assets"]] == [car.pk], typed
        assert case.pk in _case_ids(body), typed


def test_a_plate_written_in_a_case_field_is_found_in_any_spelling(world: World, api: Any) -> None:
    case = _repair(world, "车位被占", data={"location": "B2 车位，占位车 粤A·12345"})
    for typed in ("粤A12345", "粤a 12345", "粤A·12345"):
        assert _case_ids(_found(api, "agent", typed)) == {case.pk}, typed


def test_phone_from_seven_digits_and_masked_by_role(world: World, api: Any) -> None:
    owner = world.customers["owner"]  # 13812345678 at lanting
    case = _repair(world, "门锁坏", customer_id=owner.pk)
    body = _found(api, "agent", "1381234")
    assert [c["id"] for c in body["customers"]] == [owner.pk]
    assert body["customers"][0]["phone"] == "13812345678"  # an agent takes calls: in full
    assert case.pk in _case_ids(body)
    technician = _found(api, "technician", "13812345678")
    assert technician["customers"][0]["phone"] == "138****5678"
    assert technician["customers"][0]["masked"] is True
    # A fragment is not matched against phones, and the answer says why.
    short = _found(api, "agent", "138123")
    assert short["customers"] == [] and short["phone_too_short"] is True


def test_case_number_name_and_unit(world: World, api: Any) -> None:
    owner, unit = world.customers["owner"], world.assets["unit"]
    case = _repair(world, "窗户漏风", customer_id=owner.pk, asset_id=unit.pk)
    assert _case_ids(_found(api, "agent", case.number)) == {case.pk}
    by_name = _found(api, "agent", "王芳")
    assert [c["id"] for c in by_name["customers"]] == [owner.pk]
    assert case.pk in _case_ids(by_name)
    by_unit = _found(api, "agent", "3栋2单元")
    assert [a["id"] for a in by_unit["assets"]] == [unit.pk]
    assert case.pk in _case_ids(by_unit)


def test_reindex_rebuilds_the_index(world: World, api: Any) -> None:
    case = _repair(world, "外墙渗水")
    index.clear()
    assert _case_ids(_found(api, "agent", "渗水")) == set()
    call_command("search", "reindex")
    assert _case_ids(_found(api, "agent", "渗水")) == {case.pk}


def test_setup_indexes_existing_cases_once(world: World, api: Any) -> None:
    case = _repair(world, "外墙渗水")
    index.clear()  # as after the upgrade that brought search
    call_command("search", "reindex", "--if-empty")
    assert _case_ids(_found(api, "agent", "渗水")) == {case.pk}
    index.put(case.pk, case.site_id, case.created_at, ["别的内容"])
    call_command("search", "reindex", "--if-empty")  # not empty: left alone
    assert _case_ids(_found(api, "agent", "渗水")) == set()


def test_a_word_is_looked_up_among_the_persons_sites_newest_first(
    world: World, api: Any, monkeypatch: Any
) -> None:
    """The index answers for the person's sites only (PostgreSQL keeps the site beside the
    words), and a few matches are sorted as found: newest first, by the list's order, whether
    they come as ids or, past `INDEX_FEW`, as a subquery."""
    from fuwu.cases import queries

    lanting = [_repair(world, f"空调漏水 {i}") for i in range(3)]
    dealer = _dealer(world, "空调不制冷")
    newest_first = [c.pk for c in reversed(lanting)]
    for few in (queries.INDEX_FEW, 1):  # ids, then a subquery
        monkeypatch.setattr(queries, "INDEX_FEW", few)
        assert [c["id"] for c in _found(api, "agent", "空调")["cases"]] == newest_first
        assert _case_ids(_found(api, "cc_agent", "空调")) == {dealer.pk}
        assert _case_ids(_found(api, "vp", "空调")) == {*newest_first, dealer.pk}
        r = api("agent").get("/api/cases", q="空调", ordering="created")
        assert r.status_code == 200, r.content
        assert [c["id"] for c in r.json()["results"]] == newest_first[::-1]
    words = text.query("空调")
    assert words is not None
    assert set(index.matching_ids(words, None, 10)) == {*newest_first, dealer.pk}
    assert set(index.matching_ids(words, {world.sites["dealer"].pk}, 10)) == (
        {dealer.pk} if connection.vendor == "postgresql" else {*newest_first, dealer.pk}
    )


def test_chinese_is_matched_as_typed_and_latin_letters_in_any_case(world: World, api: Any) -> None:
    from fuwu.customers.models import Asset, Customer

    lanting = world.sites["lanting"]
    anna = Customer.objects.create(site=lanting, name="Anna 李", phone="13900001111")
    shop = Asset.objects.create(site=lanting, kind="unit", label="商铺-A12", owner=anna)
    # Chinese alone: no case to fold, no separators to drop (the label as it is written)
    assert [a["id"] for a in _found(api, "agent", "单元")["assets"]] == [world.assets["unit"].pk]
    assert [a["id"] for a in _found(api, "agent", "商铺")["assets"]] == [shop.pk]
    # letters in any case, and a label across its separators
    for typed in ("anna", "ANNA 李", "Anna"):
        assert [c["id"] for c in _found(api, "agent", typed)["customers"]] == [anna.pk], typed
    for typed in ("商铺a12", "商铺 A12", "铺-a1"):
        assert [a["id"] for a in _found(api, "agent", typed)["assets"]] == [shop.pk], typed


def test_many_matches_are_read_window_by_window_as_the_whole_list(
    world: World, api: Any, monkeypatch: Any
) -> None:
    """Words matching more than `INDEX_FEW` cases are read newest first in windows of the
    newest cases on PostgreSQL (`cases.queries.by_windows`): every page, its next-page flag,
    the count (capped or not) and the global search are those of the whole list, for each
    person's sites, cases created at the same moment included."""
    from datetime import timedelta

    from django.utils import timezone

    from fuwu.cases import queries

    now = timezone.now()
    ages = [0, 0.5, 2, 2, 7, 30, 31, 100, 400, 2000, 9000, 20000]  # hours before now
    cases = [_repair(world, f"卫生间漏水 {i}") for i in range(len(ages))]
    dealer = _dealer(world, "车顶漏水")
    for case, hours in zip([*cases, dealer], [*ages, 3], strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(hours=hours))
    call_command("search", "reindex")  # the index takes the times from the cases
    leak = Case.objects.filter(pk__in=[c.pk for c in cases])
    newest_first = list(leak.order_by("-created_at", "-pk").values_list("pk", flat=True))
    monkeypatch.setattr(queries, "INDEX_FEW", 4)
    monkeypatch.setattr(queries, "FIRST_WINDOW", timedelta(minutes=10))
    for cap in (3, 100):  # the count capped (told by the first matches) or exact
        monkeypatch.setattr(queries, "COUNT_CAP", cap)
        for size in (1, 2, 5):
            for page in range(1, len(newest_first) // size + 2):
                r = api("agent").get("/api/cases", q="漏水", page_size=size, page=page)
                assert r.status_code == 200, r.content
                body = r.json()
                want = newest_first[(page - 1) * size : page * size]
                assert [c["id"] for c in body["results"]] == want, (cap, size, page)
                assert body["has_next"] == (page * size < len(newest_first))
                assert body["count"] == min(len(newest_first), cap)
                assert body["count_capped"] == (len(newest_first) > cap)
    if connection.vendor == "postgresql":  # read in windows, not as the whole list
        windows: list[object] = []
        read = index.matching_ids

        def spy(*args: Any, since: Any = None) -> list[int]:
            windows.append(since)
            return read(*args, since=since)

        monkeypatch.setattr(index, "matching_ids", spy)
        api("agent").get("/api/cases", q="漏水", page_size=2)
        assert [w for w in windows if w is not None]
        monkeypatch.setattr(index, "matching_ids", read)
    # Another filter: the first matches no longer tell the count; the whole list does.
    Case.objects.filter(pk__in=newest_first[::2]).update(priority="urgent")
    urgent = newest_first[::2]
    r = api("agent").get("/api/cases", q="漏水", priority="urgent", page_size=2, page=2)
    body = r.json()
    assert [c["id"] for c in body["results"]] == urgent[2:4]
    assert (body["count"], body["count_capped"]) == (len(urgent), False)
    # The global search and the sites: the dealer's case is the VP's, not the agent's.
    assert [c["id"] for c in _found(api, "agent", "漏水")["cases"]] == newest_first[:8]
    mine = Case.objects.filter(pk__in=[*newest_first, dealer.pk]).order_by("-created_at", "-pk")
    vp = list(mine.values_list("pk", flat=True))
    assert [c["id"] for c in _found(api, "vp", "漏水")["cases"]] == vp[:8]
    assert [c["id"] for c in _found(api, "cc_agent", "漏水")["cases"]] == [dealer.pk]
