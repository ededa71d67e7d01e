"""Computed values: a small CEL-syntax expression language evaluated in decimal arithmetic.

Guards stay with the `cel` library (`expressions.py`), which decides true or false. Computed
values need what it cannot give: exact money (`Decimal`, never float), a blank input giving a
blank result rather than an error, and a static type check over the procedure's declared fields
so that `procedures check`, not a case at run time, finds `data.fee * data.note`.

The language (CEL syntax, a subset):
- literals: `12`, `2.50` (both Decimal), `"text"` / `'text'`, `true`, `false`, `null`, `[a, b]`;
- names: `data.<field>`, `now` (the move's time); inside a lines column's `compute` the row's
  columns by bare name (`quantity * unit_price`); inside a macro its variable;
- `a.b` (a row's column), `list[i]`; `+ - * / %`, `== != < <= > >=`, `in`, `&& || !`, `c ? a : b`;
- macros `list.map(x, e)`, `list.filter(x, e)`, `list.exists(x, e)`, `list.all(x, e)`;
- functions `sum`, `size`, `round(x, digits)` (half up), `min`, `max`, `abs`, `int`, `decimal`,
  `date`, `days_between(a, b)` (calendar days from a to b).

Blank propagates: arithmetic, ordering and functions over a blank value give blank (None), and
so does a division by zero; `==`/`!=` compare blanks (`data.x == null`). A blank list (lines with
no rows) has `size` 0 and `sum` 0; a blank cell inside a summed list makes the sum blank. Hand-written tokenizer
and Pratt parser; no `eval`; nesting, source length, list sizes and text length are bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, DecimalException, localcontext
from functools import lru_cache
from typing import Any

from fuwu.procedures.engine.definition import FieldDef, FieldType

MAX_SOURCE = 2000
MAX_DEPTH = 40
MAX_LIST = 5000
MAX_TEXT = 20000
CENT = Decimal("0.01")


class ComputeError(ValueError):
    """A malformed expression (when compiling), a type error (when checking) or a value the
    language cannot handle (when evaluating: too long a list, an unreadable date)."""


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


# -- tokens and syntax tree ----------------------------------------------------------------

TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
    |(?P<num>\d+(?:\.\d+)?)
    |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]])""",
    re.VERBOSE,
)
KEYWORDS = {"true": True, "false": False, "null": None}
FUNCTIONS = {
    "sum": (1, 1),
    "size": (1, 1),
    "round": (1, 2),
    "min": (1, 20),
    "max": (1, 20),
    "abs": (1, 1),
    "int": (1, 1),
    "decimal": (1, 1),
    "date": (1, 1),
    "days_between": (2, 2),
}
MACROS = ("map", "filter", "exists", "all")
# Binding power of infix operators (CEL's precedence; `?:` below all of these).
INFIX = {
    "||": 2,
    "&&": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "in": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
UNARY = 7


@dataclass(frozen=True)
class Token:
    kind: str  # num str name op end
    text: str
    pos: int


@dataclass(frozen=True)
class Node:
    op: str  # lit name attr index call macro unary binary cond list
    pos: int
    value: Any = None  # lit: the value; name/attr/call/macro/unary/binary: the name or operator
    args: tuple[Node, ...] = ()
    var: str = ""  # macro: the variable


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_SOURCE:
        raise ComputeError(f"the expression is longer than {MAX_SOURCE} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = TOKEN_RE.match(source, pos)
        if m is None:
            raise ComputeError(f"unexpected character {source[pos]!r} at {pos + 1}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self, text: str | None = None) -> Token:
        tok = self.tok
        if text is not None and tok.text != text:
            found = tok.text or "the end"
            raise ComputeError(f"expected `{text}` at {tok.pos + 1}, found {found!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expression()
        if self.tok.kind != "end":
            raise ComputeError(f"unexpected {self.tok.text!r} at {self.tok.pos + 1}")
        return node

    def expression(self, power: int = 0) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ComputeError(f"the expression nests deeper than {MAX_DEPTH} levels")
        left = self.prefix()
        while True:
            tok = self.tok
            if tok.text == "?" and power < 1:
                self.take()
                yes = self.expression()
                self.take(":")
                no = self.expression()
                left = Node("cond", tok.pos, args=(left, yes, no))
                continue
            bp = INFIX.get(tok.text) if tok.kind in ("op", "name") else None
            if bp is None or bp <= power:
                break
            self.take()
            right = self.expression(bp)
            left = Node("binary", tok.pos, tok.text, (left, right))
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            node = Node("lit", tok.pos, Decimal(tok.text))
        elif tok.kind == "str":
            node = Node("lit", tok.pos, _unquote(tok.text))
        elif tok.kind == "name" and tok.text in KEYWORDS:
            node = Node("lit", tok.pos, KEYWORDS[tok.text])
        elif tok.kind == "name" and tok.text == "in":
            raise ComputeError(f"unexpected `in` at {tok.pos + 1}")
        elif tok.kind == "name":
            called = self.tok.text == "("
            node = self.call(tok) if called else Node("name", tok.pos, tok.text)
        elif tok.text in ("!", "-"):
            node = Node("unary", tok.pos, tok.text, (self.expression(UNARY),))
        elif tok.text == "(":
            node = self.expression()
            self.take(")")
        elif tok.text == "[":
            items = self.arguments("]")
            node = Node("list", tok.pos, args=tuple(items))
        else:
            raise ComputeError(f"unexpected {tok.text or 'end'!r} at {tok.pos + 1}")
        return self.postfix(node)

    def arguments(self, close: str) -> list[Node]:
        items: list[Node] = []
        while self.tok.text != close:
            items.append(self.expression())
            if self.tok.text != close:
                self.take(",")
        self.take(close)
        return items

    def call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            raise ComputeError(f"unknown function `{name.text}` at {name.pos + 1}")
        self.take("(")
        args = self.arguments(")")
        low, high = FUNCTIONS[name.text]
        if not low <= len(args) <= high:
            raise ComputeError(f"`{name.text}` takes {_count(low, high)} at {name.pos + 1}")
        return Node("call", name.pos, name.text, tuple(args))

    def postfix(self, node: Node) -> Node:
        while self.tok.text in (".", "["):
            tok = self.take()
            if tok.text == "[":
                index = self.expression()
                self.take("]")
                node = Node("index", tok.pos, args=(node, index))
                continue
            name = self.take()
            if name.kind != "name":
                raise ComputeError(f"expected a name after `.` at {name.pos + 1}")
            if self.tok.text != "(":
                node = Node("attr", name.pos, name.text, (node,))
            elif name.text == "size":
                self.take("(")
                self.take(")")
                node = Node("call", name.pos, "size", (node,))
            elif name.text in MACROS:
                self.take("(")
                var = self.take()
                if var.kind != "name" or var.text in KEYWORDS:
                    raise ComputeError(f"`{name.text}` needs a variable name at {var.pos + 1}")
                self.take(",")
                body = self.expression()
                self.take(")")
                node = Node("macro", name.pos, name.text, (node, body), var=var.text)
            else:
                raise ComputeError(f"unknown method `{name.text}` at {name.pos + 1}")
        return node


def _count(low: int, high: int) -> str:
    if low == high:
        return f"{low} argument{'s' if low > 1 else ''}"
    return f"{low} to {high} arguments"


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


# -- evaluation ----------------------------------------------------------------------------


def _bounded(items: list[Any]) -> list[Any]:
    if len(items) > MAX_LIST:
        raise ComputeError(f"a list longer than {MAX_LIST} items")
    return items


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise ComputeError(f"not a date: {value!r}") from None
    raise ComputeError(f"not a date: {value!r}")


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ComputeError("a yes/no value is not a number")
    try:
        result = Decimal(str(value).strip())
    except DecimalException:
        raise ComputeError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ComputeError(f"not a number: {value!r}")
    return result


def evaluate(node: Node, env: Mapping[str, Any]) -> Any:
    op = node.op
    if op == "lit":
        return node.value
    if op == "name":
        if node.value not in env:
            raise ComputeError(f"unknown name `{node.value}`")
        return env[node.value]
    if op == "attr":
        target = evaluate(node.args[0], env)
        return None if target is None else target.get(node.value)
    if op == "index":
        target, index = evaluate(node.args[0], env), _number(evaluate(node.args[1], env))
        if target is None or index is None:
            return None
        i = int(index)
        return target[i] if -len(target) <= i < len(target) else None
    if op == "list":
        return _bounded([evaluate(a, env) for a in node.args])
    if op == "unary":
        value = evaluate(node.args[0], env)
        if value is None:
            return None
        return (not value) if node.value == "!" else -value
    if op == "cond":
        test = evaluate(node.args[0], env)
        if test is None:
            return None
        return evaluate(node.args[1] if test else node.args[2], env)
    if op == "binary":
        return _binary(node, env)
    if op == "macro":
        return _macro(node, env)
    return _call(node.value, [evaluate(a, env) for a in node.args])


def _binary(node: Node, env: Mapping[str, Any]) -> Any:
    op = node.value
    a = evaluate(node.args[0], env)
    if (op == "&&" and a is False) or (op == "||" and a is True):
        return a  # short-circuit: the right side is not evaluated
    b = evaluate(node.args[1], env)
    if op in ("&&", "||"):
        if b is (op == "||"):
            return b
        return None if a is None or b is None else b
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "in":
        return None if b is None else a in b
    if a is None or b is None:
        return None
    match op:
        case "<":
            return a < b
        case "<=":
            return a <= b
        case ">":
            return a > b
        case ">=":
            return a >= b
        case "+":
            result = a + b
            if isinstance(result, str) and len(result) > MAX_TEXT:
                raise ComputeError(f"a text longer than {MAX_TEXT} characters")
            return _bounded(result) if isinstance(result, list) else result
        case "-":
            return a - b
        case "*":
            return a * b
    if b == 0:
        return None  # nothing sensible to divide by yet: blank, like a missing input
    return a / b if op == "/" else a % b


def _macro(node: Node, env: Mapping[str, Any]) -> Any:
    items = evaluate(node.args[0], env)
    if items is None:
        return None
    body = node.args[1]
    results = [evaluate(body, {**env, node.var: item}) for item in items]
    match node.value:
        case "map":
            return _bounded(results)
        case "filter":
            return [item for item, keep in zip(items, results, strict=True) if keep is True]
        case "exists":
            return any(r is True for r in results)
    return all(r is True for r in results)


def _call(name: str, args: list[Any]) -> Any:
    if name == "days_between":
        a, b = _as_date(args[0]), _as_date(args[1])
        return None if a is None or b is None else Decimal((b - a).days)
    if name == "size":
        return Decimal(0 if args[0] is None else len(args[0]))
    if name == "date":
        return _as_date(args[0])
    if name in ("min", "max", "sum") and len(args) == 1:
        if args[0] is None:  # lines with no rows yet: they add up to nothing
            return Decimal(0) if name == "sum" else None
        args = [_number(v) for v in args[0]]
        if name == "sum":
            return None if None in args else sum(args, Decimal(0))
        if not args:
            return None
    numbers = [_number(v) for v in args]
    if None in numbers:
        return None
    x = numbers[0]
    assert x is not None
    match name:
        case "min":
            return min(numbers)  # type: ignore[type-var]
        case "max":
            return max(numbers)  # type: ignore[type-var]
        case "abs":
            return abs(x)
        case "int":
            return x.to_integral_value(rounding=ROUND_DOWN)
        case "decimal":
            return x
    digits = int(numbers[1]) if len(numbers) > 1 else 0  # type: ignore[arg-type]
    if not -9 <= digits <= 9:
        raise ComputeError("round() keeps between -9 and 9 digits")
    return x.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


# -- compiled expressions ------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    source: str
    tree: Node
    data_names: frozenset[str] = field(default=frozenset())  # the `data.<field>` it reads

    def check(self, scope: Mapping[str, T]) -> T:
        return check(self.tree, scope)

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        # Enough digits for any amount; rounding to cents happens when a value is stored.
        with localcontext() as ctx:
            ctx.prec = 34
            try:
                return evaluate(self.tree, env)
            except (ArithmeticError, TypeError, AttributeError, IndexError) as exc:
                raise ComputeError(f"cannot evaluate `{self.source}`: {exc}") from None


def _data_names(node: Node) -> Iterable[str]:
    if node.op == "attr" and node.args[0].op == "name" and node.args[0].value == "data":
        yield str(node.value)
    for arg in node.args:
        yield from _data_names(arg)


@lru_cache(maxsize=2048)
def compile_expr(source: str) -> Expression:
    """Parse once; raises ComputeError (with the position) for a malformed expression."""
    tree = Parser(source).parse()
    return Expression(source, tree, frozenset(_data_names(tree)))


# -- stored values <-> expression values ---------------------------------------------------


def value_of(f: FieldDef, stored: Any) -> Any:
    """A stored (JSON) value as the expression sees it: numbers and money as Decimal, dates
    as `date`/`datetime`, rows as mappings of their columns. Unreadable values are blank."""
    if stored is None:
        return None
    try:
        match f.type:
            case FieldType.NUMBER | FieldType.MONEY:
                return _number(stored)
            case FieldType.DATE:
                return date.fromisoformat(str(stored))
            case FieldType.DATETIME:
                return datetime.fromisoformat(str(stored))
            case FieldType.LINES:
                columns = f.columns or []
                return [
                    {c.key: value_of(c, row.get(c.key)) for c in columns}
                    for row in stored
                    if isinstance(row, dict)
                ]
            case FieldType.MULTI_CHOICE:
                return list(stored) if isinstance(stored, list) else None
    except (ComputeError, ValueError, TypeError):
        return None
    return stored


def data_env(
    fields: Mapping[str, FieldDef], data: Mapping[str, Any], now: datetime | None
) -> dict[str, Any]:
    return {
        "data": {k: value_of(f, data.get(k)) for k, f in fields.items()},
        "now": now,
    }


def stored_form(f: FieldDef, value: Any) -> Any:
    """What an expression's result is stored as in the field: money quantized to cents (half
    up) as "12.50", a whole number as int, other numbers as float; a value the field cannot
    hold (a text in a number field at run time, a choice not offered) is blank."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        if f.type is FieldType.MONEY:
            return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"
        if f.type is FieldType.NUMBER:
            return int(value) if value == value.to_integral_value() else float(value)
        if f.type is FieldType.TEXT:
            return str(value)
        return None
    if isinstance(value, datetime):
        return value.isoformat() if f.type is FieldType.DATETIME else None
    if isinstance(value, date):
        return value.isoformat() if f.type is FieldType.DATE else None
    if isinstance(value, bool):
        return value if f.type is FieldType.BOOL else None
    if isinstance(value, str):
        if f.type in (FieldType.TEXT, FieldType.PERSON):
            return value[: f.max_length]
        if f.type is FieldType.CHOICE:
            return value if value in {o.value for o in f.options or []} else None
        return None
    if isinstance(value, list) and f.type is FieldType.MULTI_CHOICE:
        offered = [o.value for o in f.options or []]
        return [v for v in offered if v in value] or None
    return None


def evaluate_for(
    f: FieldDef,
    source: str,
    env: Mapping[str, Any],
    *,
    on_error: Callable[[str], None] | None = None,
) -> Any:
    """Evaluate `source` and give the value to store in `f`; blank when it cannot be computed."""
    try:
        return stored_form(f, compile_expr(source).evaluate(env))
    except ComputeError as exc:
        if on_error is not None:
            on_error(str(exc))
        return None
