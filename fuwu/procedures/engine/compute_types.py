r"""The static types of computed-value expressions (`compute.py`), checked before any case runs.

`procedures check` asks `check` for the type of every `compute`, `default` and `set` expression
over the declared fields (`data_scope`, or a lines column's row, `row_scope`) and `fits` whether
that type may be stored in its field. A wrong name or a wrong operand is a `ComputeError` whose
message reads the way the author thinks: `money * text`, `unknown name \`data.nope\``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from fuwu.procedures.engine.compute import ComputeError, Node, compile_expr
from fuwu.procedures.engine.definition import FieldDef, FieldType

# -- types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class T:
    """A static type. `money` and `number` are both numbers (Decimal at run time); keeping them
    apart makes a type error read the way the author thinks (`money * text`)."""

    kind: str  # number money text bool date datetime list row null any
    elem: T | None = None  # list
    fields: tuple[tuple[str, T], ...] = ()  # row

    def __str__(self) -> str:
        if self.kind == "list" and self.elem is not None and self.elem.kind != "any":
            return f"list of {self.elem}"
        return self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "money")

    def member(self, name: str) -> T | None:
        return dict(self.fields).get(name)


NUMBER, MONEY, TEXT, BOOL = T("number"), T("money"), T("text"), T("bool")
DATE, DATETIME, NULL, ANY = T("date"), T("datetime"), T("null"), T("any")


def list_of(elem: T) -> T:
    return T("list", elem=elem)


def row_of(fields: Mapping[str, T]) -> T:
    return T("row", fields=tuple(fields.items()))


SCALAR_T = {
    FieldType.TEXT: TEXT,
    FieldType.NUMBER: NUMBER,
    FieldType.MONEY: MONEY,
    FieldType.CHOICE: TEXT,
    FieldType.PERSON: TEXT,
    FieldType.BOOL: BOOL,
    FieldType.DATE: DATE,
    FieldType.DATETIME: DATETIME,
}


def type_of(f: FieldDef) -> T:
    if f.type is FieldType.LINES:
        return list_of(row_of({c.key: type_of(c) for c in f.columns or []}))
    if f.type is FieldType.MULTI_CHOICE:
        return list_of(TEXT)
    return SCALAR_T[f.type]


def data_scope(fields: Mapping[str, FieldDef]) -> dict[str, T]:
    """The names a field's `compute`/`default` or a `set` expression may use."""
    return {"data": row_of({k: type_of(f) for k, f in fields.items()}), "now": DATETIME}


def row_scope(lines: FieldDef) -> dict[str, T]:
    """The names a lines column's `compute` may use: the row's columns."""
    return {c.key: type_of(c) for c in lines.columns or []}


def fits(value: T, target: FieldDef) -> bool:
    """May a value of this type be stored in the field?"""
    if value.kind in ("any", "null"):
        return True
    want = type_of(target)
    if want.numeric:
        return value.numeric
    if want.kind == "list":
        return value.kind == "list" and (
            value.elem is None or value.elem.kind in ("any", "null", "text")
        )
    if want.kind == "datetime":
        return value.kind == "datetime"
    return value.kind == want.kind


# -- static type check ---------------------------------------------------------------------


def _numeric_result(op: str, a: T, b: T) -> T:
    if op == "/" and a.kind == b.kind == "money":
        return NUMBER  # a ratio of amounts
    return MONEY if "money" in (a.kind, b.kind) else NUMBER


def _join(a: T, b: T, what: str) -> T:
    if a.kind in ("any", "null"):
        return b
    if b.kind in ("any", "null"):
        return a
    if a.numeric and b.numeric:
        return MONEY if "money" in (a.kind, b.kind) else NUMBER
    if a.kind == b.kind == "list":
        return list_of(_join(a.elem or ANY, b.elem or ANY, what))
    if a.kind != b.kind:
        raise ComputeError(f"{what} mixes {a} and {b}")
    return a


def _comparable(a: T, b: T) -> bool:
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    return (a.numeric and b.numeric) or a.kind == b.kind


def check(node: Node, scope: Mapping[str, T]) -> T:
    """The type of an expression over the names in `scope`, or a ComputeError saying why not."""
    op = node.op
    if op == "lit":
        v = node.value
        if v is None:
            return NULL
        if isinstance(v, bool):
            return BOOL
        return NUMBER if isinstance(v, Decimal) else TEXT
    if op == "name":
        if node.value not in scope:
            raise ComputeError(f"unknown name `{node.value}`")
        return scope[node.value]
    if op == "attr":
        (target,) = node.args
        t = check(target, scope)
        if t.kind == "any":
            return ANY
        found = t.member(node.value) if t.kind == "row" else None
        if found is None:
            raise ComputeError(f"unknown name `{_path(node)}`")
        return found
    if op == "index":
        t, i = check(node.args[0], scope), check(node.args[1], scope)
        if t.kind not in ("list", "any") or not (i.numeric or i.kind == "any"):
            raise ComputeError(f"cannot index {t} with {i}")
        return (t.elem or ANY) if t.kind == "list" else ANY
    if op == "list":
        elem = NULL
        for item in node.args:
            elem = _join(elem, check(item, scope), "a list")
        return list_of(elem if elem.kind != "null" else ANY)
    if op == "unary":
        t = check(node.args[0], scope)
        if node.value == "!" and t.kind in ("bool", "any", "null"):
            return BOOL
        if node.value == "-" and (t.numeric or t.kind in ("any", "null")):
            return t if t.numeric else NUMBER
        raise ComputeError(f"{node.value}{t}")
    if op == "cond":
        test, yes, no = (check(a, scope) for a in node.args)
        if test.kind not in ("bool", "any", "null"):
            raise ComputeError(f"the condition of `?:` is {test}, not bool")
        return _join(yes, no, "`?:`")
    if op == "binary":
        return _check_binary(node, scope)
    if op == "macro":
        return _check_macro(node, scope)
    return _check_call(node, scope)


def _path(node: Node) -> str:
    if node.op == "name":
        return str(node.value)
    if node.op == "attr":
        return f"{_path(node.args[0])}.{node.value}"
    return "…"


def _check_binary(node: Node, scope: Mapping[str, T]) -> T:
    op = node.value
    a, b = check(node.args[0], scope), check(node.args[1], scope)
    loose = {"any", "null"}
    if op in ("&&", "||"):
        if a.kind in ("bool", *loose) and b.kind in ("bool", *loose):
            return BOOL
    elif op in ("==", "!="):
        if _comparable(a, b):
            return BOOL
    elif op in ("<", "<=", ">", ">="):
        orderable = a.numeric or a.kind in ("text", "date", "datetime", *loose)
        if orderable and _comparable(a, b):
            return BOOL
    elif op == "in":
        if b.kind in loose or (b.kind == "list" and _comparable(a, b.elem or ANY)):
            return BOOL
    elif op == "+" and a.kind == b.kind and a.kind in ("text", "list"):
        return _join(a, b, "`+`")
    elif (a.numeric or a.kind in loose) and (b.numeric or b.kind in loose):
        return _numeric_result(op, a if a.numeric else NUMBER, b if b.numeric else NUMBER)
    raise ComputeError(f"{a} {op} {b}")


def _check_macro(node: Node, scope: Mapping[str, T]) -> T:
    target = check(node.args[0], scope)
    if target.kind not in ("list", "any", "null"):
        raise ComputeError(f"`{node.value}` needs a list, not {target}")
    elem = target.elem or ANY
    body = check(node.args[1], {**scope, node.var: elem})
    if node.value == "map":
        return list_of(body)
    if body.kind not in ("bool", "any", "null"):
        raise ComputeError(f"the condition of `{node.value}` is {body}, not bool")
    return target if node.value == "filter" else BOOL


def _check_call(node: Node, scope: Mapping[str, T]) -> T:
    name = node.value
    args = [check(a, scope) for a in node.args]

    def num(t: T) -> bool:
        return t.numeric or t.kind in ("any", "null")

    def num_list(t: T) -> bool:
        return t.kind in ("any", "null") or (t.kind == "list" and num(t.elem or ANY))

    bad = ComputeError(f"{name}({', '.join(str(a) for a in args)})")
    match name:
        case "sum":
            if not num_list(args[0]):
                raise bad
            elem = args[0].elem or NUMBER
            return elem if elem.numeric else NUMBER
        case "size":
            if args[0].kind not in ("list", "text", "any", "null"):
                raise bad
            return NUMBER
        case "round" | "abs":
            if not all(num(a) for a in args):
                raise bad
            return args[0] if args[0].numeric else NUMBER
        case "min" | "max":
            if len(args) == 1 and num_list(args[0]):
                elem = args[0].elem or NUMBER
                return elem if elem.numeric else NUMBER
            if len(args) > 1 and all(num(a) for a in args):
                return MONEY if any(a.kind == "money" for a in args) else NUMBER
            raise bad
        case "int" | "decimal":
            if not (num(args[0]) or args[0].kind == "text"):
                raise bad
            return NUMBER
        case "date":
            if args[0].kind not in ("text", "date", "datetime", "any", "null"):
                raise bad
            return DATE
        case _:  # days_between
            if any(a.kind not in ("date", "datetime", "any", "null") for a in args):
                raise bad
            return NUMBER


def check_source(source: str, scope: Mapping[str, T]) -> T:
    """Parse and type-check an expression; a ComputeError says what is wrong (and where)."""
    return check(compile_expr(source).tree, scope)
