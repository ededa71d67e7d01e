"""Chinese text uses full-width punctuation (，。：；？！（）), wherever it is written: the
library's labels, the templates, the translation catalogue's source strings and the engine's
own messages. A half-width mark next to a Chinese character is a slip this test keeps out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import yaml

from fuwu.procedures.engine.errors import FIELD_MESSAGES, MESSAGES

ROOT = Path(__file__).resolve().parents[1]
HAN = "\u3400-\u9fff"
NEAR = f"[{HAN}（）：，；、。“”]"  # a Chinese character or full-width mark
HALF_WIDTH = re.compile(
    rf"(?<={NEAR})\s*[,:;?!]"  # 名称: / 名称, after Chinese
    rf"|[,:;?!]\s*(?={NEAR})"  # before Chinese
    rf"|(?<=[{HAN}])[().]"  # 名称( / 名称. / 秒)
    rf"|\((?=[^)]*[{HAN}])"  # (… Chinese …)
)
# What is not text: %(name)s placeholders, template variables and tags.
CODE = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|\{%.*?%\}|\{\w*\}|&#?\w+;")


def slips(text: str) -> list[str]:
    plain = CODE.sub("X", text)
    if not re.search(f"[{HAN}]", plain):
        return []
    return [plain[max(0, m.start() - 6) : m.end() + 6] for m in HALF_WIDTH.finditer(plain)]


def _zh(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "zh" and isinstance(value, str):
                yield value
            else:
                yield from _zh(value)
    elif isinstance(node, list):
        for value in node:
            yield from _zh(value)


def _translated(line: str) -> str:
    """A template line with its {% translate "…" %} strings in place of the tags."""
    return re.sub(r"""\{%\s*translate\s+(["'])(.*?)\1.*?%\}""", r"\2", line)


def test_the_checker_finds_half_width_marks_next_to_chinese():
    assert slips("请填写名称(最多 60 个字符)。") and slips("读取: 查询数据; 写入") and slips("吗?")
    assert slips("条件: X") and slips("已暂停时长(秒)")
    assert not slips("请填写名称（最多 60 个字符）。") and not slips("DN50 (mm), 1.5")
    assert not slips("“%(name)s”太大（%(size)s）") and not slips("第 {{ n }} 版")


def test_library_labels():
    found = []
    for path in sorted((ROOT / "procedures" / "library").glob("*.yaml")):
        for text in _zh(yaml.safe_load(path.read_text(encoding="utf-8"))):
            found += [(path.name, s) for s in slips(text)]
    assert found == []


def test_catalogue_source_strings_and_engine_messages():
    po = polib.pofile(str(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    found = [(e.msgid, s) for e in po if not e.obsolete for s in slips(e.msgid)]
    engine = {**MESSAGES, **FIELD_MESSAGES}
    found += [(key, s) for key, (zh, _en) in engine.items() for s in slips(zh)]
    assert found == []


def test_templates():
    found = []
    for path in sorted(ROOT.glob("**/templates/**/*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = re.sub(r"<kbd>.*?</kbd>", " ", _translated(line))  # a key is not text
            text = re.sub(r"<[^>]*>", " ", text)  # tags and attributes are code
            found += [(f"{path.relative_to(ROOT)}:{number}", s) for s in slips(text)]
    assert found == []
