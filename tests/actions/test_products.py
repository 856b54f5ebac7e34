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


# ---- one candidate set, refinements of the last list, honest alternatives ----

from actions.products import LAST_QUERY_SLOT, SEEN_SLOT, SHOWN_SLOT  # noqa: E402
from actions.support import ActionHandleFallback, ActionHandleInform  # noqa: E402
from nlp.constraints import ProductQuery  # noqa: E402
from tests.actions.conftest import rendered  # noqa: E402


def _ask(action, text, *, lang="zh", intent="product_search", slots=None, **kwargs):
    tracker = make_tracker(text, intent=intent, slots={"language": lang, **(slots or {})}, **kwargs)
    return run(action, tracker, kwargs.pop("domain", None) or _DOMAIN[0])


_DOMAIN: list = []


@pytest.fixture(autouse=True)
def _keep_domain(domain):
    _DOMAIN[:] = [domain]


def _products(messages):
    return list(shop.products_by_ids([c["id"] for c in _cards(messages)]).values())


def _state(events):
    slots = slot_events(events)
    return {k: slots[k] for k in (LAST_QUERY_SLOT, SHOWN_SLOT, SEEN_SLOT)}


def _type_with_prices(minimum=3):
    """A product type of the demo catalogue (English) with ``minimum`` distinct prices."""
    import json

    from tests.actions.conftest import ROOT

    catalog = json.loads((ROOT / "data" / "demo" / "catalog.json").read_text(encoding="utf-8"))
    nouns = [en.lower() for c in catalog["categories"].values() for _zh, en in c["nouns"]]
    for noun in nouns:
        found = shop.find_products(ProductQuery(types=(noun,)), limit=50)
        if len({p.price for p in found}) >= minimum:
            return noun, found
    pytest.skip("no product type with enough prices in this demo shop")


@pytest.mark.parametrize(
    ("action", "text", "intent"),
    [
        (ActionRecommend(), "推荐几款{t}", "recommend"),
        (ActionSearchProducts(), "找一下{t}", "product_search"),
    ],
)
def test_recommend_and_find_honour_the_product_type(action, text, intent):
    word, found = _type_with_prices(1)
    messages, events = _ask(action, text.format(t=word), intent=intent)
    products = _products(messages)
    assert products and all(word in p.name_en.lower() for p in products)
    assert ProductQuery.from_json(_state(events)[LAST_QUERY_SLOT]).types == (word,)


def test_recommend_plural_english_product_type():
    messages, _ = _ask(ActionRecommend(), "can you recommend some phone cases?", lang="en",
                       intent="recommend")  # fmt: skip
    products = _products(messages)
    assert products and all("phone case" in p.name_en.lower() for p in products)


def test_recommend_and_find_give_the_same_candidates():
    messages_a, _ = _ask(ActionRecommend(), "有没有100元以内的零食推荐", intent="recommend")
    messages_b, _ = _ask(ActionSearchProducts(), "找100元以内的零食")
    a, b = _products(messages_a), _products(messages_b)
    assert a and {p.id for p in a} == {p.id for p in b}
    assert all(p.category == "food" and p.price <= 100 for p in a)


def test_cheaper_more_other_brand_and_pick_work_on_the_last_list(domain):
    word, found = _type_with_prices(3)
    prices = sorted({p.price for p in found})
    floor = float(prices[1])  # leaves the cheapest out of the first list
    messages, events = _ask(ActionSearchProducts(), f"find {word} over ¥{floor}", lang="en")
    first = _products(messages)
    assert first and all(p.price >= Decimal(str(floor)) for p in first)
    state = _state(events)
    messages, events = _ask(
        ActionHandleInform(), "cheaper", lang="en", intent="inform", slots=state
    )
    assert responses(messages) == ["utter_products_cheaper"]
    cheaper = _products(messages)
    assert cheaper and all(
        word in p.name_en.lower() and p.price < min(x.price for x in first) for p in cheaper
    )
    # "more" never repeats what was shown
    messages, events = _ask(ActionSearchProducts(), "show me more", lang="en", slots=state)
    seen = set(state[SEEN_SLOT])
    if responses(messages) == ["utter_products_more"]:
        assert not {p.id for p in _products(messages)} & seen
    else:
        assert responses(messages) == ["utter_no_more"]
    # the second one: the details of that product
    messages, _ = _ask(ActionHandleInform(), "the second one", lang="en", intent="inform",
                       slots=state)  # fmt: skip
    if len(state[SHOWN_SLOT]) >= 2:
        assert responses(messages) == ["utter_product_details"]
        assert _cards(messages)[0]["id"] == state[SHOWN_SLOT][1]
    # another brand: none of the brands shown
    messages, _ = _ask(ActionHandleFallback(), "another brand please", lang="en",
                       intent="nlu_fallback", slots=state)  # fmt: skip
    shown_brands = {p.brand for p in first}
    if responses(messages) == ["utter_products_other_brand"]:
        assert not {p.brand for p in _products(messages)} & shown_brands
    else:
        assert responses(messages) == ["utter_no_other_brand"]


def test_the_brand_one_picks_from_the_last_list():
    listed = shop.find_products(ProductQuery(category="electronics"), limit=5)
    brand = listed[0].brand
    state = {LAST_QUERY_SLOT: ProductQuery(category="electronics").to_json(),
             SHOWN_SLOT: [p.id for p in listed], SEEN_SLOT: [p.id for p in listed]}  # fmt: skip
    messages, _ = _ask(ActionSearchProducts(), f"the {brand} one", lang="en", slots=state)
    of_brand = [p for p in listed if p.brand == brand]
    expected = "utter_product_details" if len(of_brand) == 1 else "utter_products_of_brand"
    assert responses(messages) == [expected]
    assert {c["id"] for c in _cards(messages)} == {p.id for p in of_brand}


def test_nothing_matches_says_so_and_offers_the_cheapest(domain):
    word, found = _type_with_prices(1)
    cheapest = min(p.price for p in found)
    cap = max(1, int(cheapest) - 1)
    for lang, text in (("zh", f"有没有{cap}元以内的{word}"), ("en", f"any {word} under ¥{cap}?")):
        messages, _ = _ask(ActionSearchProducts(), text, lang=lang)
        assert responses(messages) == ["utter_no_match_cheapest"]
        assert _products(messages)[0].price == cheapest
        shown = rendered(messages, domain, lang)[0]
        assert str(cap) in shown and word in shown.lower()


def test_a_refinement_without_a_list_gets_an_answer(domain):
    for lang, action, text, intent in (
        ("zh", ActionSearchProducts(), "有便宜一点的吗", "product_search"),
        ("en", ActionHandleInform(), "cheaper", "inform"),
        ("en", ActionSearchProducts(), "another brand", "product_search"),
        ("zh", ActionSearchProducts(), "换一批", "product_search"),
    ):
        messages, _ = _ask(action, text, lang=lang, intent=intent)
        assert messages, text
        assert responses(messages) in (["utter_refine_without_list"], ["utter_how_can_help"])
    messages, _ = _ask(ActionSearchProducts(), "有便宜一点的吗")
    assert responses(messages) == ["utter_refine_without_list"]


# ---- follow-ups over several turns, and out-of-scope messages that name products ----

from actions.scope import ActionHandleOutOfScope  # noqa: E402


def test_another_brand_after_nothing_of_that_brand_leaves_out_only_that_brand():
    messages, events = _ask(ActionSearchProducts(), "有耐克的电饭煲吗")
    assert responses(messages) == ["utter_no_match_relaxed"]
    messages, _ = _ask(ActionSearchProducts(), "那就看看别的牌子的电饭煲", slots=_state(events))
    assert responses(messages) == ["utter_products_other_brand"]
    products = _products(messages)
    assert products and all("Rice Cooker" in p.name_en and p.brand != "Nike" for p in products)


def test_not_that_brand_and_the_cheapest_work_on_the_last_list():
    messages, events = _ask(ActionSearchProducts(), "midea rice cookers", lang="en")
    assert {p.brand for p in _products(messages)} == {"Midea"}
    messages, _ = _ask(
        ActionSearchProducts(), "not midea, something else", lang="en", slots=_state(events)
    )
    products = _products(messages)
    assert products and all(p.brand != "Midea" and "Rice Cooker" in p.name_en for p in products)
    messages, events = _ask(ActionSearchProducts(), "推荐几款数据线", intent="recommend")
    messages, _ = _ask(ActionSearchProducts(), "最便宜的是哪个", slots=_state(events))
    ids = [c["id"] for c in _cards(messages)]
    by_id = shop.products_by_ids(ids)
    products = [by_id[i] for i in ids]  # in the order shown: cheapest first
    assert products and all("Charging Cable" in p.name_en for p in products)
    assert [p.price for p in products] == sorted(p.price for p in products)
    assert products[0].price == min(p.price for p in shop.find_products(
        ProductQuery(types=("charging cable",)), limit=50))  # fmt: skip


def test_cheaper_than_the_cheapest_shown_offers_the_cheaper_part_of_the_list():
    found = shop.find_products(ProductQuery(types=("serum",)), limit=50)
    listed = sorted(found, key=lambda p: p.price)[:5]  # the five cheapest: none is cheaper
    state = {LAST_QUERY_SLOT: ProductQuery(types=("serum",)).to_json(),
             SHOWN_SLOT: [p.id for p in listed], SEEN_SLOT: [p.id for p in listed]}  # fmt: skip
    messages, _ = _ask(ActionSearchProducts(), "有没有更实惠的", slots=state)
    assert responses(messages) == ["utter_products_cheaper_of_list"]
    middle = sorted(p.price for p in listed)[2]
    assert all(p.price < middle for p in _products(messages))


def _ranked(*pairs):
    return [{"name": n, "confidence": c} for n, c in pairs]


@pytest.mark.parametrize(
    ("text", "ranking", "expected"),
    [
        ("book me a flight to shanghai", (("out_of_scope", 1.0),), "utter_out_of_scope"),
        ("推荐几个 phone case", (("out_of_scope", 0.54), ("recommend", 0.38)),
         "utter_recommend_popular"),
        ("should I buy tesla stock?", (("out_of_scope", 0.63), ("recommend", 0.37)),
         "utter_out_of_scope"),
    ],
)  # fmt: skip
def test_out_of_scope_unless_it_names_a_product_with_a_product_intent(text, ranking, expected):
    lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
    messages, _ = _ask(
        ActionHandleOutOfScope(), text, lang=lang, intent="out_of_scope",
        intent_ranking=_ranked(*ranking),
    )  # fmt: skip
    assert responses(messages) == [expected]


def test_a_fallback_ranked_out_of_scope_gets_what_the_bot_can_do():
    ranking = _ranked(("nlu_fallback", 0.45), ("out_of_scope", 0.41), ("inform", 0.09))
    messages, _ = _ask(ActionHandleFallback(), "讲个段子", intent="nlu_fallback",
                       intent_ranking=ranking)  # fmt: skip
    assert responses(messages) == ["utter_out_of_scope"]
    ranking = _ranked(("nlu_fallback", 0.45), ("out_of_scope", 0.32), ("inform", 0.2))
    messages, _ = _ask(ActionHandleFallback(), "好的我想想", intent="nlu_fallback",
                       intent_ranking=ranking)  # fmt: skip
    assert responses(messages) == ["utter_rephrase"]


def test_more_after_every_product_in_the_price_range_says_so_and_drops_the_price():
    found = shop.find_products(ProductQuery(types=("tent",), max_price=500), limit=50)
    state = {LAST_QUERY_SLOT: ProductQuery(types=("tent",), max_price=500).to_json(),
             SHOWN_SLOT: [p.id for p in found], SEEN_SLOT: [p.id for p in found]}  # fmt: skip
    messages, _ = _ask(ActionSearchProducts(), "more", lang="en", slots=state)
    assert responses(messages) == ["utter_more_without_price"]
    products = _products(messages)
    assert products and all("Tent" in p.name_en and p.id not in state[SEEN_SLOT] for p in products)
