"""Search words (no database): jieba's segmentation, plates in any spelling, the query forms."""

from __future__ import annotations

import pytest

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


def test_the_words_of_a_short_text_are_remembered_and_the_same() -> None:
    short, long = "卫生间地漏堵塞 粤B·V2EGY", "客户反映：厨房水管漏水，" * 10
    assert len(short) <= text._MEMO_LENGTH < len(long)
    first = text.words(short)
    assert first == text._words(short)  # remembered or not, the same words
    first.append("changed")  # a caller's list is its own: the memo is not changed through it
    assert text.words(short) == text._words(short) == first[:-1]
    assert "粤bv2egy" in first and "地漏" in first
    assert text.words(long) == text._words(long)
