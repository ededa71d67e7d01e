"""A procedure's conditions and formulas told in words, for the procedure page.

Guards (`data.fault_status == "undetermined" && checklist.passed`), checklist and warning
conditions, computed values and defaults are CEL text. People read them as sentences: field and
option labels instead of keys, 是/否 instead of true/false, “未填写” instead of `== null`,
“并且/或” instead of `&&`/`||`. The syntax tree is the engine's own (`compute.Parser`), so what is
described is what is evaluated; the parser here only also accepts the guard-only functions
(`has`, `double`), which the compute language does not evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fuwu.procedures.engine.compute import ComputeError, Node, Parser, Token
from fuwu.procedures.engine.definition import FieldDef, Procedure

# Binding strength of what a description is, to know when a part needs brackets.
OR, AND, NOT, COMPARE, ADD, MULTIPLY, ATOM = 1, 2, 3, 4, 5, 6, 7
ARITHMETIC = {"+": ADD, "-": ADD, "*": MULTIPLY, "/": MULTIPLY, "%": MULTIPLY}


class _AnyCallParser(Parser):
    """The engine's parser, accepting any function name (guards also use `has` and `double`)."""

    def call(self, name: Token) -> Node:
        self.take("(")
        args = self.arguments(")")
        return Node("call", name.pos, name.text, tuple(args))


def parse(source: str) -> Node:
    return _AnyCallParser(source).parse()


def _quote(text: str) -> str:
    return pgettext("quoting a label", "“%(label)s”") % {"label": text}


@dataclass
class Wording:
    """Describes expressions of one procedure in the current language."""

    procedure: Procedure
    language: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)  # checklist item key → label
    # (key, value) → labels of the moves whose `set` effect writes that value to an undeclared key
    set_by: dict[tuple[str, Any], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fields = self.procedure.all_fields()
        for step in self.procedure.steps.values():
            for t in step.transitions:
                for e in t.effects:
                    for key, value in (e.set or {}).items():
                        if key not in self.fields and isinstance(value, str | bool | int):
                            labels = self.set_by.setdefault((key, value), [])
                            labels.append(_quote(t.label.get(self.language)))
            items = [*step.checklist, *(i for b in step.branches for i in b.checklist)]
            for item in items:
                self.checks.setdefault(item.key, item.label.get(self.language))

    # -- entry points ----------------------------------------------------------------------

    def describe(self, source: str, row: FieldDef | None = None) -> str:
        """The expression in words; `row` is the lines field whose columns bare names refer to.

        An expression this cannot parse (none in the library: a test walks it) is shown as
        written, rather than hidden.
        """
        try:
            node = parse(source)
        except ComputeError:
            return source
        scope: dict[str, FieldDef | None] = {}
        if row is not None:
            for column in row.columns or []:
                scope[column.key] = column
        return self._say(node, scope)[0]

    # -- labels ----------------------------------------------------------------------------

    def _label(self, f: FieldDef | None, key: str) -> str:
        return _quote(f.label.get(self.language) if f is not None else key)

    def _check(self, key: str) -> str:
        return _quote(self.checks.get(key, key))

    def _field_of(self, node: Node, scope: dict[str, FieldDef | None]) -> FieldDef | None:
        """The field (or lines column) a node names, if it names one."""
        if node.op == "name":
            return scope.get(node.value)
        if node.op == "attr":
            inner = node.args[0]
            if inner.op == "name" and inner.value == "data":
                return self.fields.get(node.value)
            if inner.op == "name" and inner.value in scope:
                rows = scope[inner.value]
                columns = {c.key: c for c in (rows.columns or [])} if rows else {}
                return columns.get(node.value)
        return None

    def _literal(self, value: Any, against: FieldDef | None) -> str:
        if value is True:
            return _("是")
        if value is False:
            return _("否")
        if value is None:
            return _("空")
        if isinstance(value, Decimal):
            return f"{value:f}"
        if against is not None and against.options:
            for option in against.options:
                if option.value == value:
                    return _quote(option.label.get(self.language))
        return _quote(str(value))

    # -- the tree --------------------------------------------------------------------------

    def _say(self, node: Node, scope: dict[str, FieldDef | None]) -> tuple[str, int]:
        op = node.op
        if op == "lit":
            return self._literal(node.value, None), ATOM
        if op == "list":
            items = [self._say(a, scope)[0] for a in node.args]
            return pgettext("list separator", "、").join(items), ATOM
        if op in ("name", "attr", "index"):
            return self._path(node, scope), ATOM
        if op == "unary":
            return self._not(node, scope) if node.value == "!" else self._minus(node, scope)
        if op == "binary":
            return self._binary(node, scope)
        if op == "cond":
            test, yes, no = (self._say(a, scope)[0] for a in node.args)
            said = _("若%(test)s，则为%(yes)s，否则为%(no)s")
            return said % {"test": test, "yes": yes, "no": no}, OR
        if op == "call":
            return self._call(node, scope), ATOM
        if op == "macro":
            return self._macro(node, scope), ATOM
        return "", ATOM  # pragma: no cover - the parser makes no other node

    def _path(self, node: Node, scope: dict[str, FieldDef | None]) -> str:
        parts: list[str] = []
        inner = node
        while inner.op == "attr":
            parts.insert(0, inner.value)
            inner = inner.args[0]
        if inner.op == "index":
            return _("%(list)s中的一项") % {"list": self._say(inner.args[0], scope)[0]}
        root = inner.value
        found = self._field_of(node, scope)
        if found is not None:
            return self._label(found, parts[-1] if parts else root)
        if root == "now" and not parts:
            return _("当前时间")
        if root == "case" and parts == ["comeback_count"]:
            return pgettext("in a condition", "返修次数")
        if root == "checklist" and parts == ["passed"]:
            return _("检查清单全部合格")
        if root == "checklist" and parts == ["failed"]:
            return _("不合格的检查项")
        if root == "checklist" and len(parts) >= 2 and parts[0] == "items":
            return _("检查项%(item)s的结果") % {"item": self._check(parts[1])}
        if root == "checks" and len(parts) == 3 and parts[2] == "passed":
            return _("检查项%(item)s合格") % {"item": self._check(parts[1])}
        if root == "checks" and len(parts) >= 2:
            return _("检查项%(item)s") % {"item": self._check(parts[1])}
        if root == "data" and parts:
            return self._label(None, parts[0])
        if root in scope and parts:
            return self._label(None, parts[-1])
        return self._label(None, ".".join([root, *parts]))

    def _is_bool_field(self, node: Node, scope: dict[str, FieldDef | None]) -> bool:
        found = self._field_of(node, scope)
        return found is not None and found.type.value == "bool"

    def _not(self, node: Node, scope: dict[str, FieldDef | None]) -> tuple[str, int]:
        inner = node.args[0]
        if self._is_bool_field(inner, scope):
            return _("%(field)s为否") % {"field": self._path(inner, scope)}, ATOM
        path = self._plain(inner)
        if path == "checklist.passed":
            return _("检查清单未全部合格"), ATOM
        if len(path) > 7 and path.startswith("checks.") and path.endswith(".passed"):
            return _("检查项%(item)s不合格") % {"item": self._check(path.split(".")[2])}, ATOM
        said, strength = self._say(inner, scope)
        return _("并非%(what)s") % {"what": self._bracket(said, strength, COMPARE)}, NOT

    def _minus(self, node: Node, scope: dict[str, FieldDef | None]) -> tuple[str, int]:
        said, strength = self._say(node.args[0], scope)
        return "−" + self._bracket(said, strength, ATOM), MULTIPLY

    @staticmethod
    def _plain(node: Node) -> str:
        """`checks.inspect.stem_bend.passed` for a chain of names, "" for anything else."""
        parts: list[str] = []
        while node.op == "attr":
            parts.insert(0, node.value)
            node = node.args[0]
        return ".".join([node.value, *parts]) if node.op == "name" else ""

    @staticmethod
    def _bracket(text: str, strength: int, needed: int) -> str:
        return (
            pgettext("brackets around a part of a condition", "（%(part)s）") % {"part": text}
            if strength < needed
            else text
        )

    def _binary(self, node: Node, scope: dict[str, FieldDef | None]) -> tuple[str, int]:
        op = node.value
        left, right = node.args
        if op in ("&&", "||"):
            strength = AND if op == "&&" else OR
            parts = []
            for side in (left, right):
                said, s = self._truth(side, scope)
                # Mixed and/or always in brackets: “A或B并且C” reads two ways.
                mixed = s in (OR, AND) and s != strength
                parts.append(self._bracket(said, s, NOT) if mixed else said)
            joint = _("%(a)s并且%(b)s") if op == "&&" else _("%(a)s或%(b)s")
            return joint % {"a": parts[0], "b": parts[1]}, strength
        if op in ("==", "!="):
            return self._equals(left, right, op == "!=", scope), COMPARE
        if op == "in":
            return self._within(left, right, scope), COMPARE
        if op in ("<", "<=", ">", ">="):
            words = {
                "<": _("%(a)s小于%(b)s"),
                "<=": _("%(a)s不超过%(b)s"),
                ">": _("%(a)s大于%(b)s"),
                ">=": _("%(a)s不少于%(b)s"),
            }
            a, b = self._operand(left, scope), self._operand(right, scope)
            return words[op] % {"a": a, "b": b}, COMPARE
        symbol = {"+": "+", "-": "−", "*": "×", "/": "÷", "%": pgettext("remainder", "余")}[op]
        strength = ARITHMETIC[op]
        a, sa = self._say(left, scope)
        b, sb = self._say(right, scope)
        # a − (b − c) and a ÷ (b × c) keep their brackets; a + b + c needs none.
        a = self._bracket(a, sa, strength)
        b = self._bracket(b, sb, strength + (0 if op in ("+", "*") else 1))
        return f"{a} {symbol} {b}", strength

    def _truth(self, node: Node, scope: dict[str, FieldDef | None]) -> tuple[str, int]:
        """A part of an and/or: a yes/no field on its own reads “…为是”."""
        if self._is_bool_field(node, scope):
            return _("%(field)s为是") % {"field": self._path(node, scope)}, ATOM
        return self._say(node, scope)

    def _operand(self, node: Node, scope: dict[str, FieldDef | None]) -> str:
        """A side of a comparison or a function's argument: a sum reads fine, a test not."""
        said, strength = self._say(node, scope)
        return self._bracket(said, strength, ADD)

    def _equals(
        self, left: Node, right: Node, negated: bool, scope: dict[str, FieldDef | None]
    ) -> str:
        if left.op == "lit" and right.op != "lit":
            left, right = right, left
        subject = self._operand(left, scope)
        if right.op == "lit" and right.value is None:
            said = _("%(field)s已填写") if negated else _("%(field)s未填写")
            return said % {"field": subject}
        moves = self.set_by.get((self._plain(left).removeprefix("data."), right.value))
        if right.op == "lit" and moves:
            said = _("此前未执行%(moves)s") if negated else _("此前执行了%(moves)s")
            return said % {"moves": pgettext("or between choices", "或").join(moves)}
        if right.op == "lit":
            value = self._literal(right.value, self._field_of(left, scope))
            said = _("%(field)s不为%(value)s") if negated else _("%(field)s为%(value)s")
            return said % {"field": subject, "value": value}
        other = self._operand(right, scope)
        said = _("%(a)s不等于%(b)s") if negated else _("%(a)s等于%(b)s")
        return said % {"a": subject, "b": other}

    def _within(self, left: Node, right: Node, scope: dict[str, FieldDef | None]) -> str:
        if self._plain(right) == "checklist.failed" and left.op == "lit":
            return _("检查项%(item)s不合格") % {"item": self._check(str(left.value))}
        if right.op == "list":
            against = self._field_of(left, scope)
            options = [self._literal(a.value, against) if a.op == "lit" else "" for a in right.args]
            return _("%(field)s为%(options)s之一") % {
                "field": self._operand(left, scope),
                "options": pgettext("list separator", "、").join(o for o in options if o),
            }
        return _("%(a)s属于%(b)s") % {
            "a": self._operand(left, scope),
            "b": self._operand(right, scope),
        }

    def _call(self, node: Node, scope: dict[str, FieldDef | None]) -> str:
        name = node.value
        args = [self._operand(a, scope) for a in node.args]
        if name in ("double", "decimal", "int") and len(args) == 1:
            return args[0]
        if name == "has" and node.args:
            found = self._plain(node.args[0])
            if found.startswith("checks."):
                return _("检查项%(item)s适用") % {"item": self._check(found.split(".")[-1])}
            return _("%(field)s已填写") % {"field": args[0]}
        if name == "size":
            return _("%(list)s的数量") % {"list": args[0]}
        if name == "sum":
            return _("%(list)s之和") % {"list": args[0]}
        if name == "round":
            digits = node.args[1].value if len(node.args) > 1 else 0
            return _("%(value)s（保留%(digits)s位小数）") % {"value": args[0], "digits": digits}
        if name == "abs":
            return _("%(value)s的绝对值") % {"value": args[0]}
        if name == "date":
            return _("%(value)s的日期") % {"value": args[0]}
        if name == "days_between" and len(args) == 2:
            return _("从%(a)s到%(b)s的天数") % {"a": args[0], "b": args[1]}
        joined = pgettext("list separator", "、").join(args)
        if name == "min":
            return _("%(values)s中的较小者") % {"values": joined}
        if name == "max":
            return _("%(values)s中的较大者") % {"values": joined}
        return f"{name}（{joined}）"

    def _rows_of(self, node: Node, scope: dict[str, FieldDef | None]) -> FieldDef | None:
        """The lines field a list expression runs over (through `filter`s)."""
        while node.op == "macro" and node.value == "filter":
            node = node.args[0]
        return self._field_of(node, scope)

    def _macro(self, node: Node, scope: dict[str, FieldDef | None]) -> str:
        target, body = node.args
        rows = self._rows_of(target, scope)
        inner = {**scope, node.var: rows}
        subject = self._operand(target, scope)
        said = self._say(body, inner)[0]
        if node.value == "map":
            return _("%(list)s各行的%(value)s") % {"list": subject, "value": said}
        if node.value == "filter":
            return _("%(list)s中%(test)s的行") % {"list": subject, "test": said}
        if node.value == "exists":
            return _("%(list)s中有一行%(test)s") % {"list": subject, "test": said}
        return _("%(list)s每行都%(test)s") % {"list": subject, "test": said}
