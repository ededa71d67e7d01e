"""A test-only procedure with line items, a multi-select and a computed column: an estimate of
parts a technician draws up and the customer sees in the portal.

Who acts follows the department rights (`fuwu.cases.policy`): the estimate is engineering's and
its transition the technician's, so the technician opens it (an agent holds no role of the start
step); the customer's approval is the service centre's, where the agent agrees it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.procedures.registry import sync_library

ESTIMATE_YAML = textwrap.dedent("""
    key: test_estimate
    name: {zh: 测试报价, en: Test estimate}
    seed: 测试
    owner: {department: service_center}
    start: estimate
    portal: {show: [parts, parts_total]}
    fields:
      - {key: fault, type: text, required: true, label: {zh: 故障, en: Fault}}
      - key: parts_total
        type: money
        compute: "size(data.parts) == 0 ? null : sum(data.parts.map(p, p.total))"
        label: {zh: 配件合计, en: Parts total}
    steps:
      estimate:
        kind: task
        name: {zh: 报价, en: Estimate}
        owner: {department: engineering}
        form:
          - key: parts
            type: lines
            required: true
            label: {zh: 配件明细, en: Parts}
            max_rows: 6
            columns:
              - {key: item, type: text, required: true, max_length: 100, label: {zh: 配件, en: Part}}
              - {key: quantity, type: number, required: true, min: 0, label: {zh: 数量, en: Quantity}}
              - {key: unit_price, type: money, required: true, min: 0, label: {zh: 单价, en: Unit price}}
              - key: total
                type: money
                compute: quantity * unit_price
                label: {zh: 小计, en: Amount}
          - key: work_types
            type: multi_choice
            label: {zh: 作业内容, en: Work}
            options:
              - {value: replace, label: {zh: 更换, en: Replace}}
              - {value: repair, label: {zh: 修理, en: Repair}}
              - {value: clean, label: {zh: 清洗, en: Clean}}
        transitions:
          - {key: quote, to: approve, label: {zh: 提交报价, en: Submit the estimate}, roles: [technician]}
      approve:
        kind: task
        name: {zh: 客户确认, en: Customer approval}
        owner: {department: service_center}
        form:
          - key: parts
            type: lines
            required: true
            label: {zh: 配件明细, en: Parts}
            max_rows: 6
            columns:
              - {key: item, type: text, required: true, max_length: 100, label: {zh: 配件, en: Part}}
              - {key: quantity, type: number, required: true, min: 0, label: {zh: 数量, en: Quantity}}
              - {key: unit_price, type: money, required: true, min: 0, label: {zh: 单价, en: Unit price}}
              - key: total
                type: money
                compute: quantity * unit_price
                label: {zh: 小计, en: Amount}
        transitions:
          - {key: accept, to: done, label: {zh: 客户同意, en: Customer agrees}, roles: [agent]}
      done: {kind: end, name: {zh: 完成, en: Done}}
""")


@pytest.fixture
def estimate_procedure(world: Any, tmp_path: Path) -> Path:
    (tmp_path / "test_estimate.yaml").write_text(ESTIMATE_YAML, encoding="utf-8")
    result = sync_library([tmp_path])
    assert not result.problems, result.problems
    return tmp_path


def open_estimate(world: Any, **data: Any) -> Case:
    return actions.open_case(
        world.actor("technician"),
        procedure_key="test_estimate",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="热水器不出热水",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"fault": "热水器不出热水", **data},
    )


def paid_repair_with_lines(world: Any) -> Case:
    """A paid property repair with its labour and material lines recorded, at finance."""
    from fuwu.web.tests.casesetup import move, open_repair

    case = open_repair(world, service_type="paid")
    case = move(world, case, "agent", "issue_work_order", {"details_confirmed": True})
    case = move(world, case, "dispatcher", "repair_now", {"repair_mode": "immediate"})
    form = {"diagnosis": "阀芯磨损", "solution": "更换阀芯", "owner_agreed": True}
    case = move(world, case, "technician", "complete", form)
    return move(
        world,
        case,
        "technician",
        "to_finance",
        {
            "result": "已修复",
            "labour": [{"work": "更换阀芯", "hours": "1.5", "rate": "60"}],
            "materials": [
                {"item": "阀芯", "quantity": 1, "unit_price": "74"},
                {"item": "生料带", "quantity": 2, "unit_price": "3.50"},
            ],
        },
    )
