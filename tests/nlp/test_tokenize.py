from __future__ import annotations

import functools
import unicodedata

import jieba
import pytest

from nlp.tokenize import (
    DEFAULT_USER_DICT,
    Token,
    Tokenizer,
    default_tokenizer,
    normalize,
    tokenize,
)

MIXED = [
    "这个iPhone case还有货吗?",
    "我的订单KF10000123到哪了",
    "email me at john.doe@example.com or call +86 138-0013-8000",
    "Refunds aren't working!!! 😡😡",
    "价格是3.5元，打8折 50% off，2024-01-15到货",
    "visit https://shop.example.com/p?id=1. 谢谢",
    "I'd like a T-shirt from Li-Ning,  ＫＦ１２３",
    "a\x00b\u200dc\ufe0f\t\n  \r",
    "  多个   空格   between   words  ",
]


@pytest.mark.parametrize("text", MIXED)
def test_offsets_point_into_the_original_text(text):
    tokens = tokenize(text)
    assert tokens, text
    for token in tokens:
        assert isinstance(token, Token)
        assert text[token.start : token.end] == token.text
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:], strict=False))


@pytest.mark.parametrize("text", MIXED)
def test_no_whitespace_or_control_tokens(text):
    for token in tokenize(text):
        # (a phone number such as "+86 138 0013 8000" keeps its inner spaces)
        assert token.text.strip() == token.text and token.text
        assert not any(unicodedata.category(c) == "Cc" for c in token.text)


def test_mixed_chinese_english_sentence():
    assert [t.text for t in Tokenizer().tokenize("这个iPhone case还有货吗?")] == [
        "这个", "iPhone", "case", "还有", "货", "吗", "?",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("我的订单KF10000123到哪了", "KF10000123"),
        ("order kf10000123 please", "kf10000123"),
        ("邮箱zhang.san+shop@example.com.cn谢谢", "zhang.san+shop@example.com.cn"),
        ("call +86 138-0013-8000 now", "+86 138-0013-8000"),
        ("电话13800138000", "13800138000"),
        ("座机 021-6234 5678 找我", "021-6234 5678"),
        ("see https://shop.example.com/a/b?x=1, thanks", "https://shop.example.com/a/b?x=1"),
        ("价格3.5元", "3.5"),
        ("打5折 50%", "50%"),
    ],
)
def test_identifiers_and_numbers_stay_whole(text, whole):
    assert whole in [t.text for t in tokenize(text)]


def test_short_digit_groups_are_not_phone_numbers():
    assert [t.text for t in tokenize("buy 2 100 pieces")] == ["buy", "2", "100", "pieces"]


def test_shipped_user_dictionary_keeps_brands_and_shop_terms_whole():
    words = [t.text for t in tokenize("三只松鼠坚果礼盒支持七天无理由退货吗")]
    assert words[:2] == ["三只松鼠", "坚果礼盒"]
    assert "七天无理由退货" in words
    assert "T恤" in [t.text for t in tokenize("这件T恤偏小")]


def test_user_dictionary_is_isolated_from_the_global_jieba(tmp_path):
    word = "喵喵智能灯"
    user_dict = tmp_path / "words.txt"
    user_dict.write_text(f"# a comment\n{word} 5000 n\n", encoding="utf-8")
    own = Tokenizer(user_dict=user_dict)
    assert word in [t.text for t in own.tokenize(f"我想买{word}")]
    # neither the process-global jieba nor another Tokenizer learnt the word
    assert word not in jieba.lcut(f"我想买{word}")
    assert word not in jieba.dt.FREQ
    assert word not in [t.text for t in Tokenizer().tokenize(f"我想买{word}")]
    assert own.jieba is not jieba.dt


def test_user_dictionary_directory_and_missing_path(tmp_path):
    (tmp_path / "a.txt").write_text("喵喵智能灯\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("汪汪牌狗绳 100\n", encoding="utf-8")
    words = [t.text for t in Tokenizer(user_dict=tmp_path).tokenize("喵喵智能灯和汪汪牌狗绳")]
    assert words == ["喵喵智能灯", "和", "汪汪牌狗绳"]
    with pytest.raises(FileNotFoundError):
        Tokenizer(user_dict=tmp_path / "missing.txt")


def test_segmenter_is_initialised_lazily():
    tokenizer = Tokenizer()
    assert tokenizer._segment is None
    tokenizer.tokenize("only english here")
    assert tokenizer._segment is None
    tokenizer.tokenize("中文")
    assert tokenizer._segment is not None
    assert tokenizer.prepare() is tokenizer


def test_jieba_instance_is_loaded_on_first_access_with_the_user_dictionary(tmp_path):
    pytest.importorskip("rjieba")
    (tmp_path / "words.txt").write_text("喵喵智能灯 5000 n\n", encoding="utf-8")
    tokenizer = Tokenizer(user_dict=tmp_path, backend="rjieba")
    tokenizer.tokenize("我想买喵喵智能灯")
    assert tokenizer._jieba is None  # rjieba segments: jieba itself is not needed
    assert tokenizer.jieba.FREQ["喵喵智能灯"] == 5000
    assert tokenizer.jieba is tokenizer.jieba


SAME_SEGMENTATION = [
    "平板不错，特别是在这个价位",  # 特别是在: a word of jieba's dictionary (3) that the user
    "三只松鼠坚果礼盒支持七天无理由退货吗",  # dictionary's totals must not outweigh
    "这件T恤偏小，小米手环和华为手表都有货吗？物流很快，客服态度好",
    "㐀㐁中文〇々﨑字𠀀𠀁測試",  # ideographs jieba leaves one per word
    "这个iPhone case还有货吗? 谢谢",
]


@functools.cache
def _shipped(backend: str, hmm: bool) -> Tokenizer:
    if backend == "rjieba":
        pytest.importorskip("rjieba")
    return Tokenizer(DEFAULT_USER_DICT, hmm=hmm, backend=backend)


@pytest.mark.parametrize("text", SAME_SEGMENTATION)
@pytest.mark.parametrize("hmm", [True, False])
def test_rjieba_and_jieba_backends_give_the_same_tokens(text, hmm):
    rust = _shipped("rjieba", hmm).tokenize(text)
    python = _shipped("jieba", hmm).tokenize(text)
    assert rust == python
    assert all(text[t.start : t.end] == t.text for t in rust)


def test_ideographs_outside_jiebas_range_are_single_words():
    words = [t.text for t in Tokenizer().tokenize("㐀㐁中文")]
    assert words[:2] == ["㐀", "㐁"]


def test_backend_is_checked():
    with pytest.raises(ValueError, match="backend"):
        Tokenizer(backend="spacy")
    assert Tokenizer(backend="jieba").backend_name == "jieba"
    assert Tokenizer().backend_name in ("rjieba", "jieba")


def test_empty_and_whitespace_give_no_tokens():
    assert tokenize("") == []
    assert tokenize(" \t\n\u3000") == []


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_non_string_raises_type_error(bad):
    with pytest.raises(TypeError, match="str"):
        tokenize(bad)


def test_one_megabyte_text():
    text = ("Order KF10000123 arrived, thanks! " * 32_000)[: 1 << 20]
    tokens = tokenize(text)
    assert len(tokens) > 100_000
    assert all(text[t.start : t.end] == t.text for t in tokens[::997])


def test_emoji_are_tokens():
    assert [t.text for t in tokenize("好评👍👍")] == ["好评", "👍", "👍"]


def test_normalize_lower_cases_stems_and_folds_width():
    assert normalize("Refunds") == "refund"
    assert normalize("Delivered") == "deliv"
    assert normalize("ＫＦ１２３") == "kf123"
    assert normalize("退款") == "退款"
    assert default_tokenizer().words("Cancelled ORDERS") == ["cancel", "order"]
    with pytest.raises(TypeError):
        normalize(3)


def test_module_tokenize_uses_the_shared_default():
    assert default_tokenizer() is default_tokenizer()
    assert tokenize("三只松鼠") == default_tokenizer().tokenize("三只松鼠")


def test_cjk_runs_can_stay_whole_without_jieba():
    tokenizer = Tokenizer()
    tokens = tokenizer.tokenize("这个iPhone还有货吗？KF10000123", segment_cjk=False)
    assert [t.text for t in tokens] == ["这个", "iPhone", "还有货吗", "？", "KF10000123"]
    assert tokenizer._jieba is None and tokenizer._segment is None
