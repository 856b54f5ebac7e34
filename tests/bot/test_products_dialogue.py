"""Product questions against the real bot over HTTP: every constraint honoured, the last
list refined in the next turns, and an honest alternative when nothing matches.

What the customer sees is checked on the product cards of the replies (custom payload
``{"products": [...]}``) against the session's demo shop.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from tests.support.servers import ROOT, RasaServer


def _sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _cards(replies: list[dict]) -> list[dict]:
    return [c for r in replies for c in (r.get("custom") or {}).get("products") or []]


def _text(replies: list[dict]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


@pytest.fixture
def catalogue(bot_env):
    """Products of the session's shop: ``find(query)`` and ``by_ids(ids)``."""
    from kefu.shop import queries as shop
    from nlp.constraints import ProductQuery

    url = bot_env["KEFU_DATABASE_URL"]

    class Catalogue:
        @staticmethod
        def find(**constraints):
            return shop.find_products(ProductQuery(**constraints), limit=50, url=url)

        @staticmethod
        def shown(replies):
            cards = _cards(replies)
            found = shop.products_by_ids([c["id"] for c in cards], url=url)
            return [found[c["id"]] for c in cards]

    return Catalogue()


def _noun_with_prices(catalogue, minimum: int) -> tuple[str, str, list]:
    data = json.loads((ROOT / "data" / "demo" / "catalog.json").read_text(encoding="utf-8"))
    for category in data["categories"].values():
        for zh, en in category["nouns"]:
            found = catalogue.find(types=(en.lower(),))
            if len({p.price for p in found}) >= minimum:
                return zh, en.lower(), found
    pytest.skip(f"no product type with {minimum} prices in this demo shop")


def _money(value: Decimal) -> str:
    return f"{value.normalize():f}"


def test_the_issue_examples(rasa_server: RasaServer, catalogue):
    earbuds = rasa_server.send(_sender("earbuds"), "推荐几款蓝牙耳机")
    shown = catalogue.shown(earbuds)
    assert shown and all("蓝牙耳机" in p.name_zh for p in shown), [p.name_zh for p in shown]

    cases = rasa_server.send(_sender("cases"), "can you recommend some phone cases?")
    shown = catalogue.shown(cases)
    assert shown and all("phone case" in p.name_en.lower() for p in shown), _text(cases)

    snacks = rasa_server.send(_sender("snacks"), "有没有100元以内的零食推荐")
    shown = catalogue.shown(snacks)
    assert shown and all(p.category == "food" and p.price <= 100 for p in shown), _text(snacks)


def test_cheaper_running_shoes_after_a_list_of_running_shoes(rasa_server: RasaServer, catalogue):
    shoes = catalogue.find(types=("跑步鞋",))
    prices = sorted({p.price for p in shoes})
    if len(prices) < 2:
        pytest.skip("the demo shop has running shoes at one price only")
    sender = _sender("shoes")
    first = catalogue.shown(rasa_server.send(sender, f"推荐几款{_money(prices[1])}元以上的跑步鞋"))
    assert first and all("跑步鞋" in p.name_zh and p.price >= prices[1] for p in first)
    replies = rasa_server.send(sender, "有便宜一点的吗")
    assert _text(replies), "no reply to 有便宜一点的吗"
    cheaper = catalogue.shown(replies)
    lowest = min(p.price for p in first)
    assert cheaper and all("跑步鞋" in p.name_zh and p.price < lowest for p in cheaper)


def test_english_cheaper_another_brand_more_and_the_second_one(rasa_server: RasaServer, catalogue):
    _zh, noun, found = _noun_with_prices(catalogue, 3)
    prices = sorted({p.price for p in found})
    sender = _sender("en-refine")
    first = catalogue.shown(rasa_server.send(sender, f"find {noun} over ¥{_money(prices[1])}"))
    assert first and all(noun in p.name_en.lower() and p.price >= prices[1] for p in first)

    replies = rasa_server.send(sender, "anything cheaper?")
    cheaper = catalogue.shown(replies)
    assert cheaper and all(p.price < min(x.price for x in first) for p in cheaper), _text(replies)

    replies = rasa_server.send(sender, "another brand please")
    assert _text(replies)
    other = catalogue.shown(replies)
    assert not {p.brand for p in other} & {p.brand for p in cheaper}
    assert all(noun in p.name_en.lower() for p in other)
    listed = other or cheaper

    replies = rasa_server.send(sender, "show me more")
    assert _text(replies)
    more = catalogue.shown(replies)
    assert not {p.id for p in more} & {p.id for p in listed}
    listed = more or listed

    replies = rasa_server.send(sender, "the second one")
    assert _text(replies)
    if len(listed) >= 2:
        assert [c["id"] for c in _cards(replies)] == [listed[1].id]
        assert listed[1].name_en in _text(replies)


def test_nothing_matches_offers_the_cheapest_in_both_languages(rasa_server: RasaServer, catalogue):
    zh, en, found = _noun_with_prices(catalogue, 1)
    cheapest = min(found, key=lambda p: p.price)
    cap = max(1, int(cheapest.price) - 1)
    for lang, text, name in (
        ("zh", f"有没有{cap}元以内的{zh}", cheapest.name_zh),
        ("en", f"do you have {en} under ¥{cap}?", cheapest.name_en),
    ):
        replies = rasa_server.send(_sender(f"none-{lang}"), text)
        said = _text(replies)
        assert str(cap) in said and name in said, said
        assert [c["id"] for c in _cards(replies)] == [cheapest.id]


@pytest.mark.parametrize("text", ["有便宜一点的吗", "换个牌子", "换一批", "第二个", "cheaper",
                                  "another brand", "show me more", "the second one"])  # fmt: skip
def test_a_refinement_in_a_fresh_conversation_gets_an_answer(rasa_server: RasaServer, text):
    assert _text(rasa_server.send(_sender("fresh"), text)), text
