"""Words for the search index and for a search, and the compact form of plates and unit labels.

Plain Python (no Django): the one place where text becomes search words, so that SQLite's FTS5
table and PostgreSQL's tsvector hold the same words and a search asks for the same ones.

Chinese has no spaces between words: jieba cuts the text into words, so that 漏水 finds
"卫生间漏水严重" while 门卫 (a guard) does not find "部门卫生检查" (部门 · 卫生 · 检查), which a
substring match would. The text is indexed in jieba's search mode (a long word also gives its
shorter words: 卫生间 → 卫生, 卫生间), a search is cut in the precise mode, and every word must
match; the last one as a prefix, since people search as they type.

Each jieba word is then reduced to its runs of letters and digits, lower-cased: the two
engines' own tokenisers then have nothing left to split or fold differently.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
import types
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\w+")
# What people type between the parts of a plate or a unit label: 粤B·V2EGY, 粤B V2EGY, 3-2-501.
_SEPARATORS = re.compile(r"[\s·•・‧.\-_/]+")
_LATIN = re.compile(r"[A-Za-z0-9]")
# A Chinese licence plate: a province (or 使/领), a letter, then five or six letters and digits.
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
PLATE = re.compile(rf"[{_PROVINCES}][A-Z][A-Z0-9]{{5,6}}")
_PLATE_IN_TEXT = re.compile(
    rf"[{_PROVINCES}]\s*[A-Za-z][\s·•・‧\-]*[A-Za-z0-9]{{5,6}}(?![A-Za-z0-9])"
)

_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    """jieba's tokenizer, loaded once per process on first use (a few milliseconds once the
    machine has built the dictionary's trie, about two seconds before)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                from fuwu.search.dictionary import emissions, load

                # The word frequencies from a shared, memory-mapped trie instead of jieba's own
                # 50 MB dict per process (fuwu.search.dictionary); the words found are the same.
                freq, total = load()
                if "jieba" not in sys.modules:
                    # The HMM's table from the same files, in place of jieba's 5 MB of dicts:
                    # jieba's `finalseg` imports it from here and never loads its own.
                    table = types.ModuleType("jieba.finalseg.prob_emit")
                    table.P = emissions()  # type: ignore[attr-defined]
                    sys.modules[table.__name__] = table
                import jieba

                jieba.setLogLevel(logging.WARNING)

                tokenizer = jieba.Tokenizer()
                tokenizer.FREQ, tokenizer.total = freq, total
                tokenizer.initialized = True
                _tokenizer = tokenizer
    return _tokenizer


def compact(text: str) -> str:
    """A plate or label as compared: full-width folded, separators dropped, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def spans_separators(text: str) -> bool:
    """Whether a search may need `compact` to find a label: it has letters or digits (a plate,
    a unit number: 粤B·V2EGY, 3栋-1201, whose separators it may span or leave out), or
    separators or full-width forms of its own. Chinese words alone are found as typed."""
    return bool(_LATIN.search(unicodedata.normalize("NFKC", text))) or compact(text) != text


def plate(text: str) -> str | None:
    """The plate a search names (粤B·V2EGY, 粤b v2egy …) as `粤BV2EGY`, or None."""
    key = compact(text)
    return key if PLATE.fullmatch(key) else None


def _split(pieces: Iterable[str]) -> list[str]:
    return [w.lower() for piece in pieces for w in _WORD.findall(piece)]


def words(text: str) -> list[str]:
    """The words a text is indexed under (a plate in it also under its compact form)."""
    if len(text) <= _MEMO_LENGTH:
        return list(_short_words(text))
    return _words(text)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    found = _split(_jieba().cut_for_search(text))
    found += [compact(m.group()).lower() for m in _PLATE_IN_TEXT.finditer(text)]
    return found


# Short texts come back again and again (titles, choices, a field's usual values): their words
# are remembered, a pure function of the text (jieba's dictionary does not change while a process
# runs). Long ones (descriptions people write) are rarely the same twice and would only churn it.
_MEMO_LENGTH = 64


@functools.lru_cache(maxsize=4096)
def _short_words(text: str) -> tuple[str, ...]:
    return tuple(_words(text))


def document(texts: Iterable[str]) -> str:
    """What the index stores for a case: its words, space-separated, each once."""
    return " ".join(dict.fromkeys(w for text in texts for w in words(text)))


@dataclass(frozen=True)
class Query:
    """The words a search must all match; `prefix`: the last one may be the start of a word."""

    words: tuple[str, ...]
    prefix: bool

    def fts5(self) -> str:
        """An FTS5 MATCH expression (each word quoted; words hold letters and digits only)."""
        return " AND ".join(
            f'"{w}"' + ("*" if self.prefix and i == len(self.words) - 1 else "")
            for i, w in enumerate(self.words)
        )

    def tsquery(self) -> str:
        """A `to_tsquery('simple', …)` expression for PostgreSQL."""
        return " & ".join(
            f"'{w}'" + (":*" if self.prefix and i == len(self.words) - 1 else "")
            for i, w in enumerate(self.words)
        )


def query(text: str) -> Query | None:
    """What a search looks for in the index; None when it holds no word."""
    text = unicodedata.normalize("NFKC", text)
    if key := plate(text):
        return Query((key.lower(),), prefix=False)
    found = tuple(dict.fromkeys(_split(_jieba().cut(text.strip()))))
    if not found:
        return None
    # A word still being typed is a prefix; one followed by a space is finished. A number is
    # matched whole: the start of one would find phone numbers written into a description.
    return Query(found, prefix=not text[-1:].isspace() and not found[-1].isdigit())
