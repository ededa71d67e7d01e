"""jieba's word frequencies in a memory-mapped trie, instead of its 50 MB Python dict.

jieba keeps its dictionary (349,046 words and every prefix of them, about 500,000 keys) in a
`dict` of `str` → `int` per process: about 50 MB of every web worker's memory, for the few
words a case's title and description are cut into. Here the same keys live in a marisa trie
(about 2 MB on disk, mapped read-only, so the pages are shared by every process of the machine)
and the frequencies in an array beside it, indexed by the trie's key id. `Frequencies` answers
the three questions jieba's tokenizer asks of its `FREQ` (`in`, `[]`, `.get`), so the words
found are exactly jieba's (a test compares the two on a corpus).

The files are built once per machine and jieba version, in a child process (building needs
jieba's dict for a moment; the parent never holds it), into the temp directory where jieba keeps
its own cache, under a name carrying jieba's version and the dictionary file's size and mtime.

jieba's HMM (`jieba.finalseg`, which cuts the runs of characters the dictionary has no word for)
reads the emission log-probabilities of its four states from `jieba.finalseg.prob_emit`: four
dicts of 35,224 character → float entries, about 5 MB of every process. The same numbers live
in a trie of the 14,632 characters and an array of four doubles per character (`Emissions`,
0.5 MB), built with the rest; `fuwu.search.text` puts them in place of jieba's module before it
imports jieba, which therefore never loads its own table.
"""

from __future__ import annotations

import array
import importlib.metadata
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import marisa_trie


class Frequencies(marisa_trie.Trie):  # type: ignore[misc]
    """A word's frequency by the trie's key id; `in` is the trie's own (C) lookup."""

    freqs: array.array[int]
    _key_id = marisa_trie.Trie.__getitem__  # not super(): jieba asks thousands of times a text
    _find = marisa_trie.Trie.get

    def __getitem__(self, word: str) -> int:
        return self.freqs[self._key_id(word)]

    def get(self, word: str, default: Any = None) -> Any:
        key_id = self._find(word)
        return default if key_id is None else self.freqs[key_id]


# The HMM's states in the order of their rows in the `.emit` file.
STATES = ("B", "E", "M", "S")


class Emission:
    """One HMM state's emission log-probabilities, answering the one question jieba's
    `finalseg.viterbi` asks of its table (`.get(char, MIN_FLOAT)`); NaN marks a character
    the state never emits (absent from jieba's dict for that state)."""

    __slots__ = ("_chars", "_offset", "_probs")

    def __init__(self, chars: marisa_trie.Trie, probs: array.array[float], row: int) -> None:
        self._chars, self._probs, self._offset = chars, probs, row * len(chars)

    def get(self, char: str, default: Any = None) -> Any:
        key_id = self._chars.get(char)
        if key_id is None:
            return default
        p = self._probs[self._offset + key_id]
        return default if p != p else p  # NaN


def _stem() -> Path:
    # jieba itself is not imported here: importing it loads the HMM table this module replaces.
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).parent / "dict.txt"
    stat = source.stat()
    version = importlib.metadata.version("jieba")
    name = f"fuwu-jieba-{version}-{stat.st_size}-{int(stat.st_mtime)}"
    return Path(tempfile.gettempdir()) / name


def build(stem: Path) -> None:
    """Write `<stem>.marisa`, `<stem>.freq`, the HMM's `<stem>.chars` and `<stem>.emit`, and
    `<stem>.json` (the total and the counts), each atomically."""
    import jieba
    from jieba.finalseg.prob_emit import P as emit

    tokenizer = jieba.Tokenizer()
    freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    trie = marisa_trie.Trie(freq.keys())
    freqs = array.array("I", bytes(4 * len(trie)))
    for word, count in freq.items():
        freqs[trie[word]] = count
    chars = marisa_trie.Trie({c for state in STATES for c in emit[state]})
    probs = array.array("d", [math.nan]) * (len(STATES) * len(chars))
    for row, state in enumerate(STATES):
        for char, p in emit[state].items():
            probs[row * len(chars) + chars[char]] = p
    meta = {"total": total, "keys": len(trie), "chars": len(chars)}
    pid = os.getpid()
    parts = {
        ".marisa": lambda p: trie.save(str(p)),
        ".freq": lambda p: p.write_bytes(freqs.tobytes()),
        ".chars": lambda p: chars.save(str(p)),
        ".emit": lambda p: p.write_bytes(probs.tobytes()),
        ".json": lambda p: p.write_text(json.dumps(meta)),
    }
    # The description last: its presence says the others are whole.
    for suffix, write in parts.items():
        partial = stem.with_name(f"{stem.name}{suffix}.{pid}")
        write(partial)
        os.replace(partial, stem.with_name(stem.name + suffix))


def _meta(stem: Path) -> dict[str, Any] | None:
    described = stem.with_name(stem.name + ".json")
    meta: dict[str, Any] = json.loads(described.read_text()) if described.exists() else {}
    return meta if "chars" in meta else None  # none, or built before the HMM's files were


def load() -> tuple[Frequencies, int]:
    """The trie and jieba's total count, building the files first if this machine has none."""
    stem = _stem()
    meta = _meta(stem)
    if meta is None:
        subprocess.run([sys.executable, "-m", "fuwu.search.dictionary", str(stem)], check=True)
        meta = _meta(stem)
        assert meta is not None
    trie = Frequencies().mmap(str(stem.with_name(stem.name + ".marisa")))
    freqs = array.array("I")
    freqs.frombytes(stem.with_name(stem.name + ".freq").read_bytes())
    if len(freqs) != meta["keys"] or len(trie) != meta["keys"]:
        raise RuntimeError(f"jieba dictionary files {stem}.* do not agree; delete them")
    trie.freqs = freqs
    return trie, int(meta["total"])


def emissions() -> dict[str, Emission]:
    """jieba's `finalseg.prob_emit.P` from this machine's files (`load` builds them)."""
    stem = _stem()
    meta = _meta(stem)
    if meta is None:
        load()
        meta = _meta(stem)
        assert meta is not None
    chars = marisa_trie.Trie().mmap(str(stem.with_name(stem.name + ".chars")))
    probs = array.array("d")
    probs.frombytes(stem.with_name(stem.name + ".emit").read_bytes())
    if len(chars) != meta["chars"] or len(probs) != len(STATES) * len(chars):
        raise RuntimeError(f"jieba HMM files {stem}.* do not agree; delete them")
    return {state: Emission(chars, probs, row) for row, state in enumerate(STATES)}


if __name__ == "__main__":
    build(Path(sys.argv[1]))
