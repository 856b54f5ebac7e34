from __future__ import annotations

from collections import defaultdict

import pytest

from nlp.lexicon import DEFAULT_LEXICON_DIR, IGNORE, Lexicon, default_lexicon

SMALL = {
    "item": ["枕头", "婴儿车", "pillow", "rice cooker", "battery", "pen", "t恤"],
    "not_sold": ["车", "lawyer", "car"],
    "brand": ["小米", "xiaomi"],
    IGNORE: ["购物车", "phone number"],
}


@pytest.fixture(scope="module")
def small() -> Lexicon:
    return Lexicon(SMALL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("推荐个枕头", [("枕头", "item")]),
        ("recommend a lawyer", [("lawyer", "not_sold")]),
        ("Recommend some PILLOWS please", [("pillows", "item")]),
        ("spare batteries", [("batteries", "item")]),
        ("any Rice  Cookers?", [("rice cookers", "item")]),
        # longest match first: 婴儿车 is an item, the 车 of 购物车 is nothing
        ("婴儿车和购物车", [("婴儿车", "item")]),
        ("买什么车好", [("车", "not_sold")]),
        # whole words only for Latin terms
        ("open the carton", []),
        ("my phone number is 13812345678", []),
        ("这个Xiaomi枕头", [("xiaomi", "brand"), ("枕头", "item")]),
        ("小米T恤", [("小米", "brand"), ("t恤", "item")]),
        ("", []),
    ],
)
def test_find_longest_terms_left_to_right(small, text, expected):
    assert small.find(text) == expected


def test_spans_point_into_the_normalised_text(small):
    norm, spans = small.spans("Do you sell  Pillows?")
    assert norm == "do you sell pillows?"
    assert [(norm[s:e], tag) for s, e, tag in spans] == [("pillows", "item")]


def test_tags_exclude_ignore(small):
    assert small.tags == ("brand", "item", "not_sold")


def test_extended_adds_terms_and_round_trips(small):
    bigger = small.extended({"brand": ["Zorblax"], "category": ["gadgets"]})
    assert bigger.find("zorblax gadgets") == [("zorblax", "brand"), ("gadgets", "category")]
    assert small.find("zorblax") == []  # the original is unchanged
    assert Lexicon(bigger.to_dict()) == bigger
    assert bigger != small


def test_ignore_wins_over_other_tags():
    lexicon = Lexicon({"item": ["phone number"], IGNORE: ["phone number"]})
    assert lexicon.find("phone number") == []


@pytest.mark.parametrize(
    ("terms", "error"),
    [
        ({"Item": ["x"]}, ValueError),
        ({"my-tag": ["x"]}, ValueError),
        ({"item": "pillow"}, TypeError),
        ({"item": ["pillow", 3]}, TypeError),
    ],
)
def test_bad_terms(terms, error):
    with pytest.raises(error):
        Lexicon(terms)


def test_find_rejects_non_text(small):
    with pytest.raises(TypeError):
        small.find(None)  # type: ignore[arg-type]


def test_load_reads_tag_files_and_comments(tmp_path):
    (tmp_path / "item.txt").write_text("# a comment\n枕头\n\npillow  # inline\n", "utf-8")
    (tmp_path / "not_sold.txt").write_text("lawyer\n", "utf-8")
    assert Lexicon.load(tmp_path).to_dict() == {"item": ["pillow", "枕头"], "not_sold": ["lawyer"]}


def test_load_without_files_fails(tmp_path):
    with pytest.raises(FileNotFoundError):
        Lexicon.load(tmp_path)


def test_shipped_lexicon_is_unambiguous_and_finds_shop_words():
    lexicon = default_lexicon()
    owners = defaultdict(list)
    for tag, terms in lexicon.to_dict().items():
        for term in terms:
            owners[term].append(tag)
    assert not {t: tags for t, tags in owners.items() if len(tags) > 1}
    assert {p.stem for p in DEFAULT_LEXICON_DIR.glob("*.txt")} == set(lexicon.terms)
    assert ("枕头", "item") in lexicon.find("推荐个枕头")
    assert ("lawyer", "not_sold") in lexicon.find("can you recommend a lawyer")
    # everyday phrases that contain a listed word but name no such thing
    assert lexicon.find("is it in stock") == [("in stock", "search")]
    assert lexicon.find("我的手机号") == []
    assert lexicon.find("购物车") == []


def test_emails_and_urls_are_not_words():
    lexicon = Lexicon({"agent": ["someone"], "item": ["pillow"]})
    assert lexicon.find("someone@example.com") == []
    assert lexicon.find("see https://shop.example.com/pillow please") == []
    norm, spans = lexicon.spans("Mail SOMEONE@example.com about the pillow")
    assert [norm[s:e] for s, e, _ in spans] == ["pillow"]
    assert lexicon.find("can someone help") == [("someone", "agent")]
