"""What can be wrong with an imported file, in the reader's language.

A problem names the row (as the spreadsheet numbers it: the header is row 1) and the column
(its header), and carries a code and machine params; the message is rendered when shown, in
the language of whoever reads it (events and stored previews keep codes, never text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, Any] = {
    # the file
    "empty": _("文件是空的。"),
    "no_rows": _("文件只有表头，没有数据行。"),
    "too_big": _("文件过大（最大 %(max)s MB）。"),
    "too_many_rows": _("行数过多（最多 %(max)s 行），请分批导入。"),
    "bad_encoding": _("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV，或 xlsx。"),
    "unreadable": _("无法读取文件，请上传 xlsx 或 CSV 文件。"),
    # the columns
    "missing_column": _("缺少列“%(column)s”。"),
    "unknown_column": _("无法识别的列“%(column)s”，请使用模板中的列名。"),
    "repeated_column": _("列“%(column)s”出现了不止一次。"),
    # the cells
    "required": _("必填。"),
    "too_long": _("不能超过 %(max)s 个字符。"),
    "bad_number": _("应为数字，而不是“%(value)s”。"),
    "bad_whole_number": _("应为整数，而不是“%(value)s”。"),
    "too_small": _("不能小于 %(min)s。"),
    "too_large": _("不能大于 %(max)s。"),
    "bad_date": _("应为日期（如 2026-11-30），而不是“%(value)s”。"),
    "future_date": _("不能晚于今天（%(today)s）。"),
    "bad_yes_no": _("应为“是”或“否”，而不是“%(value)s”。"),
    "bad_choice": _("“%(value)s”不是可选值，可选：%(options)s。"),
    "bad_phone": _("电话号码格式不正确：“%(value)s”。"),
    "bad_email": _("电子邮件格式不正确：“%(value)s”。"),
    "duplicate_in_file": _("与第 %(row)s 行重复。"),
    "phone_names_differ": _("同一电话在第 %(row)s 行的姓名是“%(name)s”。"),
    "unit_exists": _("房屋“%(label)s”已登记。"),
    "vehicle_exists": _("车辆“%(label)s”已登记。"),
    "phone_on_file": _("本项目已有客户“%(name)s”使用此电话。"),
    "unknown_building": _("本项目没有楼栋“%(value)s”。"),
    "unknown_unit": _("本项目没有房屋“%(label)s”。"),
    "unknown_owner": _("本项目没有电话为“%(value)s”的客户，请填写车主姓名以新建。"),
    "part_exists": _("配件号“%(value)s”已在目录中。"),
    "operation_exists": _("作业代码“%(value)s”已在目录中。"),
    "unknown_skill": _("没有技能“%(value)s”。"),
    "bad_username": _("用户名只能包含字母、数字和 . @ + - _：“%(value)s”。"),
    "username_taken": _("用户名“%(value)s”已被使用。"),
    "unknown_department": _("本项目没有部门“%(value)s”。"),
    "zero_balance": _("欠费金额和已缴金额不能都为零。"),
    "balance_exists": _("房屋“%(label)s”的“%(fee)s”已有期初余额。"),
}


@dataclass(frozen=True)
class Problem:
    code: str
    row: int | None = None  # None: the file or its header as a whole
    column: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.code)
        if template is None:
            return self.code
        return str(template) % self.params if self.params else str(template)

    def as_dict(self) -> dict[str, Any]:
        params = {k: v if isinstance(v, int | str) else str(v) for k, v in self.params.items()}
        return {"code": self.code, "row": self.row, "column": self.column, "params": params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(data["code"], data.get("row"), data.get("column", ""), data.get("params", {}))


class Invalid(Exception):
    """A cell's value is refused; the kind adds the row and column."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
