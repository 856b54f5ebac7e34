"""The product constraint parser: types, brands, categories, prices, stock, refinements."""

from __future__ import annotations

import pytest

from nlp.constraints import ConstraintParser, ProductQuery, Request, Vocabulary, follow_up, refine

VOCAB = Vocabulary(
    products=("phone cases", "蓝牙耳机", "耳机", "Bluetooth Earbuds", "earbuds", "手机壳", "Phone Case",
              "跑步鞋", "Running Shoes", "充电宝", "Power Bank", "羽绒服", "T恤", "kettle"),
    brands={"小米": "Xiaomi", "Xiaomi": "Xiaomi", "索尼": "Sony", "Sony": "Sony",
            "三只松鼠": "Three Squirrels", "Three Squirrels": "Three Squirrels",
            "L'Oreal": "L'Oreal", "Be&Cheery": "Be&Cheery"},
    categories={"零食": "food", "食品": "food", "snacks": "food", "数码": "electronics",
                "electronics": "electronics", "鞋": "shoes", "运动鞋": "shoes"},
)  # fmt: skip


@pytest.fixture(scope="module")
def parser() -> ConstraintParser:
    return ConstraintParser(VOCAB)


def q(**kwargs) -> ProductQuery:
    return ProductQuery(**kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("推荐几款蓝牙耳机", q(types=("蓝牙耳机",))),
        ("can you recommend some phone cases?", q(types=("phone case",))),
        ("有没有100元以内的零食推荐", q(category="food", max_price=100)),
        ("100块以下的耳机", q(types=("耳机",), max_price=100)),
        ("不超过200的充电宝", q(types=("充电宝",), max_price=200)),
        ("预算300块", q(max_price=300)),
        ("两百块以内的T恤", q(types=("t恤",), max_price=200)),
        ("300左右的跑步鞋", q(types=("跑步鞋",), min_price=240, max_price=360)),
        ("running shoes around $300", q(types=("running shoes",), min_price=240, max_price=360)),
        ("100到300元的羽绒服", q(types=("羽绒服",), min_price=100, max_price=300)),
        ("earbuds between 100 and 300 yuan", q(types=("earbuds",), min_price=100, max_price=300)),
        ("earbuds between $100-$300", q(types=("earbuds",), min_price=100, max_price=300)),
        ("500以上的Sony earbuds", q(types=("earbuds",), brands=("Sony",), min_price=500)),
        ("phone case over 1k rmb", q(types=("phone case",), min_price=1000)),
        ("under $80 power banks", q(types=("power bank",), max_price=80)),
        ("kettle below 200", q(types=("kettle",), max_price=200)),
        ("up to 200 dollars for a kettle", q(types=("kettle",), max_price=200)),
        ("耳机 under 500", q(types=("耳机",), max_price=500)),
        ("我想买个手机壳，50块左右", q(types=("手机壳",), min_price=40, max_price=60)),
        ("便宜的充电宝", q(types=("充电宝",), cheap=True)),
        ("cheap phone case", q(types=("phone case",), cheap=True)),
        ("有货的小米充电宝", q(types=("充电宝",), brands=("Xiaomi",), in_stock=True)),
        ("Xiaomi power bank in stock", q(types=("power bank",), brands=("Xiaomi",), in_stock=True)),
        ("有没有三只松鼠的零食", q(brands=("Three Squirrels",), category="food")),
        ("Be&Cheery snacks below 50", q(brands=("Be&Cheery",), category="food", max_price=50)),
        ("推荐几款运动鞋", q(types=("跑步鞋",), category="shoes")),  # the sports shoes sold
        ("小米耳机和充电宝", q(types=("耳机", "充电宝"), brands=("Xiaomi",))),
    ],
)
def test_constraints_in_zh_en_and_mixed_text(parser, text, expected):
    request = parser.parse(text)
    assert request.query == expected
    assert request.refinements == ()


@pytest.mark.parametrize(
    "text",
    ["查一下订单KF10000123", "我要2个", "给5分", "42码的跑步鞋", "蓝牙5.3耳机", "5 stars",
     "order KF10000123 please", "wait 7 days", "13812345678"],
)  # fmt: skip
def test_numbers_that_are_not_prices(parser, text):
    query = parser.parse(text).query
    assert query.min_price is None and query.max_price is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("有便宜一点的吗", "cheaper"),
        ("便宜点", "cheaper"),
        ("还有更便宜的吗", "cheaper"),
        ("anything cheaper?", "cheaper"),
        ("something less expensive", "cheaper"),
        ("好一点的", "pricier"),
        ("有没有贵一点的", "pricier"),
        ("more expensive ones", "pricier"),
        ("anything more premium", "pricier"),
        ("换个牌子", "other_brand"),
        ("有其他品牌的吗", "other_brand"),
        ("another brand please", "other_brand"),
        ("different brands?", "other_brand"),
        ("换一批", "more"),
        ("还有别的吗", "more"),
        ("show me more", "more"),
        ("any more?", "more"),
    ],
)
def test_refinements(parser, text, kind):
    assert parser.parse(text).refinements == (kind,)


@pytest.mark.parametrize(
    ("text", "ordinal"),
    [("第二个", 2), ("第2个怎么样", 2), ("the second one", 2), ("最后那个", -1),
     ("the last one", -1), ("tell me about the 3rd", 3), ("第一款", 1)],
)  # fmt: skip
def test_ordinals(parser, text, ordinal):
    assert parser.parse(text).ordinal == ordinal


def test_pick_by_brand(parser):
    for text in ("小米那个", "the Xiaomi one", "xiaomi那款"):
        request = parser.parse(text)
        assert request.pick and request.query.brands == ("Xiaomi",), text


def test_without_vocabulary_prices_and_refinements_still_read():
    bare = ConstraintParser(Vocabulary())
    assert bare.parse("100元以内的蓝牙耳机").query == q(max_price=100)
    assert bare.parse("cheaper please").refinements == ("cheaper",)


def test_refine_moves_the_price_and_the_brands():
    earbuds = q(types=("耳机",), min_price=400)
    assert refine(earbuds, "cheaper", [469, 1279]) == q(types=("耳机",), max_price=468.99)
    assert refine(earbuds, "pricier", [469, 1279]) == q(types=("耳机",), min_price=1279.01)
    # "Sony earbuds" showed Xiaomi ones instead: another brand than the one asked for
    other = refine(q(types=("耳机",), brands=("Sony",)), "other_brand", [99], ["Xiaomi"])
    assert other == q(types=("耳机",), exclude_brands=("sony",))
    # no brand asked for: other brands than those shown
    other = refine(q(types=("耳机",)), "other_brand", [99, 199], ["Xiaomi", "Sony"])
    assert other == q(types=("耳机",), exclude_brands=("xiaomi", "sony"))
    assert refine(earbuds, "more", [1]) == earbuds
    assert refine(q(max_price=100), "cheaper") == q(max_price=99.99)
    assert refine(q(), "cheaper") == q(cheap=True)
    with pytest.raises(ValueError):
        refine(earbuds, "bigger")


def test_follow_up_keeps_the_subject_and_replaces_what_is_new(parser):
    earbuds = q(types=("耳机",), brands=("Sony",), max_price=500)
    assert follow_up(earbuds, parser.parse("有小米的吗")) == q(
        types=("耳机",), brands=("Xiaomi",), max_price=500
    )
    assert follow_up(earbuds, parser.parse("1000以内的呢")) == q(
        types=("耳机",), brands=("Sony",), max_price=1000
    )
    assert follow_up(earbuds, parser.parse("充电宝呢")) == q(types=("充电宝",))


def test_query_json_round_trip_and_junk():
    query = q(types=("耳机",), brands=("Xiaomi",), category="electronics", min_price=1.5,
              max_price=99, in_stock=True, cheap=True, exclude_brands=("sony",))  # fmt: skip
    assert ProductQuery.from_json(query.to_json()) == query
    assert ProductQuery.from_json(ProductQuery().to_json()) == ProductQuery()
    for junk in (None, "", "[]", "{", '{"types": "x"}', '{"min_price": -1}', 5, "x" * 6000):
        assert ProductQuery.from_json(junk) is None


def test_bad_input_is_a_clear_error(parser):
    with pytest.raises(TypeError):
        parser.parse(None)  # type: ignore[arg-type]
    assert parser.parse("") == Request()
    assert parser.parse("耳机" * 10_000).query.types == ("耳机",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # two numbers joined by 到/to are a range next to a product or a price word
        ("100到300的耳机推荐一下", q(types=("耳机",), min_price=100, max_price=300)),
        ("想要个充电宝，价格在50到150之间", q(types=("充电宝",), min_price=50, max_price=150)),
        ("power bank 50 to 150", q(types=("power bank",), min_price=50, max_price=150)),
        # ...but not on their own (a date, a count)
        ("3到5天能到吗", q()),
        # a type named by its use, irregular plurals
        ("我要跑步穿的", q(types=("跑步鞋",))),
        ("for running", q(types=("running shoes",))),
        ("what about the cheapest", q(cheap=True)),
        ("预算500左右，想买双跑步鞋", q(types=("跑步鞋",), min_price=400, max_price=600)),
    ],
)
def test_ranges_uses_and_superlatives(parser, text, expected):
    assert parser.parse(text).query == expected


def test_irregular_plural_and_brand_alias():
    parser = ConstraintParser(
        Vocabulary(products=("wireless mouse",), brands={"Adidas": "Adidas", "阿迪达斯": "Adidas"})
    )
    assert parser.parse("what about wireless mice").query == q(types=("wireless mouse",))
    assert parser.parse("有阿迪的吗").query == q(brands=("Adidas",))


def test_refinement_of_a_new_list_comes_before_more(parser):
    assert parser.parse("那就看看别的牌子的耳机").refinements == ("other_brand",)
    assert parser.parse("有没有更实惠的").refinements == ("cheaper",)


def test_follow_up_keeps_a_brand_list_and_the_same_price(parser):
    brand_only = q(brands=("Xiaomi",))
    assert follow_up(brand_only, parser.parse("要充电宝")) == q(
        types=("充电宝",), brands=("Xiaomi",)
    )
    typed = q(types=("耳机",), brands=("Sony",), min_price=100, max_price=300)
    assert follow_up(typed, parser.parse("充电宝呢")) == q(types=("充电宝",))
    assert follow_up(typed, parser.parse("充电宝呢，一样的价位")) == q(
        types=("充电宝",), min_price=100, max_price=300
    )


def test_a_negated_brand_is_left_out(parser):
    request = parser.parse("不要小米的，别的牌子有吗")
    assert request.query == q(exclude_brands=("xiaomi",))
    assert request.refinements == ("other_brand",)
    request = parser.parse("not xiaomi, something else")
    assert request.query.exclude_brands == ("xiaomi",)
    assert request.refinements == ("other_brand", "more")
    assert parser.parse("xiaomi, not sony").query.brands == ("Xiaomi",)


def test_a_shoe_word_names_the_sports_shoes():
    parser = ConstraintParser(
        Vocabulary(
            products=("跑步鞋", "篮球鞋", "帆布鞋", "running shoes"),
            categories={"运动鞋": "shoes", "鞋": "shoes"},
        )
    )
    assert parser.parse("想买双运动鞋").query == q(
        types=("跑步鞋", "篮球鞋", "帆布鞋"), category="shoes"
    )


def test_asking_whether_it_is_a_brand_is_no_negation(parser):
    assert parser.parse("是不是小米的").query.brands == ("Xiaomi",)
