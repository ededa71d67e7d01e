"""Each schema of the API has its own name: the OpenAPI document keys its components by class
name, so two schemas of one name (a calendar's `EventOut` beside the case timeline's) made one
operation's documented response the other's, which clients and the schema fuzz then trusted."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from ninja import Schema

import fuwu.api


def test_no_two_api_schemas_share_a_name() -> None:
    for info in pkgutil.iter_modules(fuwu.api.__path__):
        importlib.import_module(f"fuwu.api.{info.name}")
    seen: dict[str, set[str]] = defaultdict(set)
    todo = list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("fuwu."):
            seen[cls.__name__].add(cls.__module__)
    shared = {name: sorted(mods) for name, mods in seen.items() if len(mods) > 1}
    assert shared == {}
