"""Products: one search meaning (case-insensitive, literal words, brand included)."""

from __future__ import annotations

import pytest

from kefu.shop import queries as shop
from kefu.shop.queries.common import escape_like


def test_escape_like_escapes_wildcards_and_the_escape_character():
    assert escape_like(r"50%_off\x") == r"50\%\_off\\x"


def test_search_escapes_like_wildcards(small_shop_url):
    for word in ("%", "_", "\\"):
        assert shop.search_products(terms=[word], url=small_shop_url) == []
        assert shop.search_products(brands=[word], url=small_shop_url) == []
        assert shop.list_products(query=word, url=small_shop_url) == ([], 0)
    assert len(shop.search_products(limit=100, url=small_shop_url)) == 20


def test_search_ignores_case_in_every_column(small_shop_url):
    sample = shop.get_product("P0001", url=small_shop_url)
    word = sample.name_en.split()[-1]
    for variant in (word.lower(), word.upper()):
        found = shop.search_products(terms=[variant], limit=20, url=small_shop_url)
        assert found and all(variant.lower() in p.name_en.lower() for p in found)
    by_brand = shop.search_products(terms=[sample.brand.upper()], limit=20, url=small_shop_url)
    assert sample.brand in {p.brand for p in by_brand}


def test_the_site_and_the_bot_search_the_same_way(small_shop_url):
    sample = shop.get_product("P0001", url=small_shop_url)
    for word in (sample.name_zh.split()[1][-2:], sample.name_en.split()[-1].upper(), sample.brand):
        listed, total = shop.list_products(query=word, per_page=1000, url=small_shop_url)
        searched = shop.search_products(terms=[word], limit=20, url=small_shop_url)
        assert total == len(listed) > 0
        assert {p.id for p in searched} <= {p.id for p in listed}
        assert len(searched) == min(total, 20)


def test_brand_filter_ignores_case(small_shop_url):
    products = shop.search_products(category="electronics", limit=20, url=small_shop_url)
    brand = products[0].brand
    found = shop.search_products(brands=[brand.swapcase()], limit=20, url=small_shop_url)
    assert found and all(p.brand == brand for p in found)


def test_product_view_speaks_both_languages(small_shop_url):
    p = shop.get_product("P0001", url=small_shop_url)
    assert p.name("zh") == p.name_zh and p.name("en") == p.name_en
    assert p.description("zh") == p.description_zh and p.description("en") == p.description_en
    assert p.url and p.price > 0
    assert shop.get_product("NOPE", url=small_shop_url) is None
    assert shop.get_product("x" * 500, url=small_shop_url) is None


def test_categories_and_counts_agree(small_shop_url):
    counts = shop.category_counts(url=small_shop_url)
    assert [c for c, _ in counts] == shop.categories(url=small_shop_url)
    listed = {c: shop.list_products(category=c, url=small_shop_url)[1] for c, _ in counts}
    assert listed == dict(counts)


def test_pages_cover_the_catalogue_once(small_shop_url):
    _, total = shop.list_products(url=small_shop_url)
    ids = []
    for page in range(1, total // 24 + 2):
        rows, _ = shop.list_products(page=page, url=small_shop_url)
        ids += [p.id for p in rows]
    assert len(ids) == len(set(ids)) == total


def test_a_missing_database_raises_shop_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(shop.ShopUnavailable):
        shop.get_customer("C00001")
    with pytest.raises(shop.ShopUnavailable):
        shop.search_products(terms=["x"])


def _check_filters(url):
    """Every constraint of a ProductQuery is a filter of the SQL query."""
    from nlp.constraints import ProductQuery

    everything = shop.search_products(limit=20, url=url)
    sample = everything[0]
    word = sample.name_en.split()[-1]
    cap = float(sample.price)
    found = shop.find_products(
        ProductQuery(types=(word.lower(),), max_price=cap), limit=50, url=url
    )
    assert found and all(word.lower() in p.name_en.lower() and float(p.price) <= cap for p in found)
    floor = shop.find_products(ProductQuery(min_price=cap), limit=50, url=url)
    assert floor and all(float(p.price) >= cap for p in floor)
    in_stock = shop.find_products(ProductQuery(in_stock=True), limit=50, url=url)
    assert len(in_stock) == 50 and all(p.stock > 0 for p in in_stock)
    cheapest = shop.find_products(
        ProductQuery(category=sample.category, cheap=True), limit=50, url=url
    )
    in_stock_prices = [p.price for p in cheapest if p.stock > 0]
    assert in_stock_prices == sorted(in_stock_prices)
    assert all(p.category == sample.category for p in cheapest)
    others = shop.find_products(
        ProductQuery(category=sample.category, exclude_brands=(sample.brand.upper(),)),
        limit=50,
        url=url,
    )
    assert others and sample.brand not in {p.brand for p in others}
    first = shop.find_products(ProductQuery(category=sample.category), limit=3, url=url)
    rest = shop.find_products(
        ProductQuery(category=sample.category), exclude_ids=[p.id for p in first], limit=50, url=url
    )
    assert not {p.id for p in first} & {p.id for p in rest}
    assert len(shop.find_products(ProductQuery(), limit=500, url=url)) == 50
    assert shop.find_products(ProductQuery(types=("%",)), url=url) == []


def test_find_products_applies_every_constraint(small_shop_url):
    _check_filters(small_shop_url)


def test_find_products_on_postgresql(postgres_url):
    from kefu.shop.demo import build_demo
    from tests.kefu.conftest import REF_DATE, SMALL

    build_demo(postgres_url, reference_date=REF_DATE, progress=False, **SMALL)
    _check_filters(postgres_url)
