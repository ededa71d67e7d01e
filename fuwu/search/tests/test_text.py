"""Search words (no database): jieba's segmentation, plates in any spelling, the query forms."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuwu.search import text


@pytest.mark.parametrize("typed", ["粤BV2EGY", "粤B V2EGY", "粤B·V2EGY", "粤b·v2egy", "粤B-V2EGY"])
def test_a_plate_is_one_word_however_it_is_typed(typed: str) -> None:
    assert text.plate(typed) == "粤BV2EGY"
    q = text.query(typed)
    assert q is not None and q.words == ("粤bv2egy",)
    assert "粤bv2egy" in text.words(f"车主说 {typed} 空调不冷")


def test_chinese_is_cut_into_words_not_characters() -> None:
    assert {"卫生间", "卫生", "漏水", "严重"} <= set(text.words("卫生间漏水严重"))
    # 部门卫生检查 holds the characters 门卫 but not the word: no false hit.
    assert "门卫" not in text.words("部门卫生检查")


def test_the_last_word_is_a_prefix_while_typing() -> None:
    q = text.query("卫生间漏")
    assert q is not None
    assert q.fts5() == '"卫生间" AND "漏"*'
    assert q.tsquery() == "'卫生间' & '漏':*"
    done = text.query("漏水 ")
    assert done is not None and not done.prefix
    number = text.query("1391234")  # a number is never a prefix (phones in texts)
    assert number is not None and not number.prefix


def test_punctuation_alone_is_no_search() -> None:
    assert text.query("··· ，") is None
    assert text.compact(" 3-2-1502 ") == "321502"


@pytest.mark.parametrize(
    ("typed", "spans"),
    [
        ("粤B V2EGY", True),  # a plate, with or without its separators
        ("粤bv2egy", True),
        ("3栋-1201", True),  # a unit number
        ("Ｖ２", True),  # full-width letters and digits fold to plain ones
        ("漏水", False),  # Chinese words are found as typed
        ("卫生间 漏水", True),  # a separator of its own
    ],
)
def test_only_letters_digits_or_separators_need_the_compact_label(typed: str, spans: bool) -> None:
    assert text.spans_separators(typed) is spans


# -- the dictionary trie (fuwu.search.dictionary) -----------------------------------------------

LIBRARY = Path(text.__file__).resolve().parent.parent / "procedures" / "library"


@pytest.fixture(scope="module")
def stock_jieba() -> Any:
    """jieba as shipped, with its own dict: what the trie must agree with."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def test_the_trie_holds_jiebas_frequencies(stock_jieba: Any) -> None:
    ours = text._jieba()
    assert ours.total == stock_jieba.total
    assert len(ours.FREQ) == len(stock_jieba.FREQ)
    for word in ("漏水", "卫生间", "物业管理", "门卫", "卫"):
        assert word in ours.FREQ
        assert ours.FREQ[word] == stock_jieba.FREQ[word]
        assert ours.FREQ.get(word) == stock_jieba.FREQ.get(word)
    assert "漏水严" not in ours.FREQ and ours.FREQ.get("漏水严", 7) == 7


def test_the_procedure_library_is_cut_as_jieba_cuts_it(stock_jieba: Any) -> None:
    """Every line of the 24 procedures' definitions (titles, labels, help texts) gives the same
    words through the trie as through jieba's own dict."""
    lines = [
        line.strip()
        for path in sorted(LIBRARY.glob("*.yaml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(lines) > 1000
    for line in lines:
        assert list(text._jieba().cut_for_search(line)) == list(stock_jieba.cut_for_search(line))


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="物业管理处维修厨房卫生间水管漏水投诉服务态度客户中心停车钥匙门卫部车主空调",
        max_size=30,
    )
)
def test_any_text_is_cut_as_jieba_cuts_it(stock_jieba: Any, sentence: str) -> None:
    assert list(text._jieba().cut_for_search(sentence)) == list(
        stock_jieba.cut_for_search(sentence)
    )


def test_a_machine_without_the_files_builds_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stock_jieba: Any
) -> None:
    from fuwu.search import dictionary

    monkeypatch.setattr(dictionary.tempfile, "gettempdir", lambda: str(tmp_path))
    trie, total = dictionary.load()
    built = sorted(p.suffix for p in tmp_path.iterdir())
    assert built == [".chars", ".emit", ".freq", ".json", ".marisa"]
    assert total == stock_jieba.total and trie["漏水"] == stock_jieba.FREQ["漏水"]
    stamp = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    dictionary.load()  # the second process maps what the first built
    dictionary.emissions()
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamp


def test_files_built_before_the_hmm_table_are_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fuwu.search import dictionary

    monkeypatch.setattr(dictionary.tempfile, "gettempdir", lambda: str(tmp_path))
    dictionary.load()
    described = next(tmp_path.glob("*.json"))
    meta = json.loads(described.read_text())
    described.write_text(json.dumps({"total": meta["total"], "keys": meta["keys"]}))
    (emit := next(tmp_path.glob("*.emit"))).unlink()
    assert dictionary.emissions()["S"].get("蓝") is not None
    assert emit.exists() and json.loads(described.read_text()) == meta


def _jiebas_own_emissions() -> dict[str, dict[str, float]]:
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.origin is not None
    with (Path(spec.origin).parent / "finalseg" / "prob_emit.p").open("rb") as f:
        table: dict[str, dict[str, float]] = pickle.load(f)  # jieba's own file
    return table


def test_the_hmm_table_holds_jiebas_emissions() -> None:
    """Every state's every character has jieba's log-probability; what a state never emits
    gets the caller's default, as from jieba's dicts."""
    from fuwu.search.dictionary import STATES, emissions

    own, ours = _jiebas_own_emissions(), emissions()
    assert sorted(own) == sorted(STATES) == sorted(ours)
    chars = {c for state in own.values() for c in state} | {"a", "😀", "漏水"}
    for state in STATES:
        for char in chars:
            assert ours[state].get(char, -1e100) == own[state].get(char, -1e100), (state, char)


def test_cutting_text_never_imports_jiebas_own_hmm_table() -> None:
    """The point of the table: a process that indexes text holds 0.5 MB for the HMM, not the
    5 MB of dicts of `jieba.finalseg.prob_emit`, and cuts the same words (蓝亭苑 is the HMM's:
    the dictionary has no word for it, only its three characters)."""
    code = (
        "import sys; from fuwu.search import text\n"
        "print(' '.join(text.words('张三丰李四光在蓝亭苑报修')))\n"
        "print(getattr(sys.modules['jieba.finalseg.prob_emit'], '__file__', None))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    words, table_file = out.stdout.splitlines()
    assert table_file == "None"
    assert words == "三丰 张三丰 李四 李四光 在 蓝亭苑 报修"


def test_the_words_of_a_short_text_are_remembered_and_the_same() -> None:
    short, long = "卫生间地漏堵塞 粤B·V2EGY", "客户反映：厨房水管漏水，" * 10
    assert len(short) <= text._MEMO_LENGTH < len(long)
    first = text.words(short)
    assert first == text._words(short)  # remembered or not, the same words
    first.append("changed")  # a caller's list is its own: the memo is not changed through it
    assert text.words(short) == text._words(short) == first[:-1]
    assert "粤bv2egy" in first and "地漏" in first
    assert text.words(long) == text._words(long)
