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
"""

from __future__ import annotations

import array
import json
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


def _stem() -> Path:
    import jieba

    source = Path(jieba.get_dict_file().name)
    stat = source.stat()
    name = f"fuwu-jieba-{jieba.__version__}-{stat.st_size}-{int(stat.st_mtime)}"
    return Path(tempfile.gettempdir()) / name


def build(stem: Path) -> None:
    """Write `<stem>.marisa`, `<stem>.freq` and `<stem>.json` (the total), each atomically."""
    import jieba

    tokenizer = jieba.Tokenizer()
    freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    trie = marisa_trie.Trie(freq.keys())
    freqs = array.array("I", bytes(4 * len(trie)))
    for word, count in freq.items():
        freqs[trie[word]] = count
    pid = os.getpid()
    parts = {
        ".marisa": lambda p: trie.save(str(p)),
        ".freq": lambda p: p.write_bytes(freqs.tobytes()),
        ".json": lambda p: p.write_text(json.dumps({"total": total, "keys": len(trie)})),
    }
    # The description last: its presence says the other two are whole.
    for suffix, write in parts.items():
        partial = stem.with_name(f"{stem.name}{suffix}.{pid}")
        write(partial)
        os.replace(partial, stem.with_name(stem.name + suffix))


def load() -> tuple[Frequencies, int]:
    """The trie and jieba's total count, building the files first if this machine has none."""
    stem = _stem()
    described = stem.with_name(stem.name + ".json")
    if not described.exists():
        subprocess.run([sys.executable, "-m", "fuwu.search.dictionary", str(stem)], check=True)
    meta = json.loads(described.read_text())
    trie = Frequencies().mmap(str(stem.with_name(stem.name + ".marisa")))
    freqs = array.array("I")
    freqs.frombytes(stem.with_name(stem.name + ".freq").read_bytes())
    if len(freqs) != meta["keys"] or len(trie) != meta["keys"]:
        raise RuntimeError(f"jieba dictionary files {stem}.* do not agree; delete them")
    trie.freqs = freqs
    return trie, int(meta["total"])


if __name__ == "__main__":
    build(Path(sys.argv[1]))
