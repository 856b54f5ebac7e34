"""Product search and suggestions, with product cards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.products import ActionRecommend, ActionSearchProducts, parse_price
from kefu.shop import queries as shop
from tests.actions.conftest import make_tracker, responses, run, slot_events

CARD_KEYS = {"id", "name", "price", "image", "url", "reason"}


def _entity(name, value):
    return {"entity": name, "value": value, "start": 0, "end": len(str(value))}


def _cards(messages):
    cards = [m["custom"]["products"] for m in messages if m.get("custom")]
    assert len(cards) == 1
    assert all(set(card) == CARD_KEYS for card in cards[0])
    return cards[0]


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("500元以内的耳机", ["500元"], (None, 500.0)),
        ("100到300元的羽绒服", ["100到300元"], (100.0, 300.0)),
        ("shoes under $80", ["$80"], (None, 80.0)),
        ("something over 1k yuan", [], (1000.0, None)),
        ("预算300块", ["300块"], (None, 300.0)),
        ("order KF10000123 please", [], (None, None)),  # no money talk, no price
        ("我要2个", [], (None, None)),
    ],
)
def test_parse_price(text, entities, expected):
    lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
    assert parse_price(text, entities, lang) == expected


def test_search_by_product_words_in_both_languages(domain):
    sample = shop.search_products(limit=1)[0]
    zh_word = sample.name_zh.split()[1][-4:]
    for lang, term in (("zh", zh_word), ("en", sample.name_en.split()[-1])):
        tracker = make_tracker(
            term,
            intent="product_search",
            entities=[_entity("product", term)],
            slots={"language": lang},
        )
        messages, events = run(ActionSearchProducts(), tracker, domain)
        assert responses(messages) == ["utter_products_found"]
        cards = _cards(messages)
        names = [c["name"] for c in cards]
        assert all(term.lower() in n.lower() for n in names), (term, names)
        slots = slot_events(events)
        assert slots["resolved"] is True
        assert slots["shown_products"] == [c["id"] for c in cards]


def test_search_combines_brand_category_and_price(domain):
    products = shop.search_products(category="electronics", limit=20)
    brand = products[0].brand
    cap = float(max(p.price for p in products))
    tracker = make_tracker(
        f"{brand} electronics under {cap}",
        intent="product_search",
        entities=[_entity("brand", brand.lower()), _entity("category", "electronics")],
        slots={"language": "en"},
    )
    messages, _ = run(ActionSearchProducts(), tracker, domain)
    cards = _cards(messages)
    found = shop.products_by_ids([c["id"] for c in cards])
    assert found and all(
        p.brand == brand and p.category == "electronics" and p.price <= Decimal(str(cap))
        for p in found.values()
    )


def test_search_with_nothing_to_search_asks_and_nothing_found_says_so(domain):
    messages, _ = run(
        ActionSearchProducts(), make_tracker("有什么", intent="product_search"), domain
    )
    assert responses(messages) == ["utter_ask_product"]
    tracker = make_tracker(
        "unicorn saddle", intent="product_search", entities=[_entity("product", "unicorn saddle")]
    )
    messages, _ = run(ActionSearchProducts(), tracker, domain)
    assert responses(messages) == ["utter_no_products"]


def test_text_only_channel_gets_a_readable_list(domain):
    sample = shop.search_products(limit=1)[0]
    term = sample.name_en.split()[-1]
    tracker = make_tracker(
        term,
        intent="product_search",
        entities=[_entity("product", term)],
        slots={"language": "en"},
        channel="cmdline",
    )
    messages, _ = run(ActionSearchProducts(), tracker, domain)
    assert not any(m.get("custom") for m in messages)
    listing = messages[-1]["text"]
    assert listing.startswith("1. ") and "¥" in listing


def test_recommendations_for_a_customer_are_personal_and_respect_the_category(
    domain, shop_cases, token_for
):
    case = shop_cases["delivered"]
    tracker = make_tracker(
        "recommend me some books",
        intent="recommend",
        entities=[_entity("category", "books")],
        slots={"language": "en"},
        metadata={"customer_token": token_for(case.customer_id)},
    )
    messages, _ = run(ActionRecommend(), tracker, domain)
    assert responses(messages) == ["utter_recommend_personal"]
    cards = _cards(messages)
    products = shop.products_by_ids([c["id"] for c in cards])
    assert cards and all(p.category == "books" for p in products.values())
    assert all(c["reason"] for c in cards)


def test_recommendations_for_a_visitor_are_cold_start(domain, shop_cases):
    tracker = make_tracker(
        "推荐点东西", intent="recommend", sender_id=shop_cases["paid"].customer_id
    )
    messages, _ = run(ActionRecommend(), tracker, domain)
    assert responses(messages) == ["utter_recommend_popular"]
    assert len(_cards(messages)) == 5


def test_recommendations_for_a_named_product_stay_in_its_category(domain, shop_cases):
    tracker = make_tracker(
        "推荐几款蓝牙耳机", intent="recommend", entities=[_entity("product", "蓝牙耳机")]
    )
    messages, _ = run(ActionRecommend(), tracker, domain)
    products = shop.products_by_ids([c["id"] for c in _cards(messages)])
    assert products and {p.category for p in products.values()} == {"electronics"}
