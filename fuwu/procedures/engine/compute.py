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
no rows) has `size` 0 and `sum` 0; a blank cell inside a summed list makes the sum blank.
Hand-written tokenizer and Pratt parser; no `eval`; nesting, source length, list sizes and text
length are bounded. The static types are `compute_types.py`.
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
