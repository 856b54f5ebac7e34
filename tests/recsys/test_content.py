"""Content-based similarity over bilingual product text (new products, no interactions)."""

from __future__ import annotations

import pandas as pd

from recsys import ContentRecommender, Recommender
from recsys.content import item_documents, item_words
from recsys.interactions import build_dataset


def with_new_product(items: pd.DataFrame) -> pd.DataFrame:
    new = {
        "item_id": "NEW1",
        "name_zh": "小米 降噪蓝牙耳机",
        "name_en": "Xiaomi Noise-Cancelling Bluetooth Earbuds",
        "category": "electronics",
        "category_zh": "数码",
        "category_en": "Electronics",
        "brand": "Xiaomi",
        "description_zh": "小米耳机，数码精选。",
        "description_en": "Xiaomi earbuds, a pick of electronics.",
        "stock": 10,
        "price": 199.0,
    }
    return pd.concat([items, pd.DataFrame([new])], ignore_index=True)


def test_item_words_use_the_mixed_tokenizer():
    words = item_words("小米 降噪蓝牙耳机 Xiaomi Noise-Cancelling Earbuds！")
    assert "小米" in words and "xiaomi" in words and "earbud" in words
    assert "！" not in words


def test_documents_join_names_brand_category_and_descriptions(items):
    data = build_dataset(pd.DataFrame({"user_id": ["u"], "item_id": ["I000"]}), items)
    doc = item_documents(data.item_info)[0]
    assert "小米" in doc and "Xiaomi" in doc and "electronics" in doc and "精选" in doc


def test_new_product_without_interactions_is_similar_to_its_kind(interactions, items):
    catalogue = with_new_product(items)
    model = ContentRecommender(neighbours=10).fit(interactions, catalogue)
    similar = model.similar_items("NEW1", n=2)  # the two in-stock Xiaomi earbuds
    assert similar, "a product with no interactions still has text neighbours"
    assert {catalogue.set_index("item_id").loc[r.item_id, "category"] for r in similar} == {
        "electronics"
    }
    assert similar[0].reason.text("en").startswith("similar to Xiaomi Noise-Cancelling")


def test_hybrid_recommends_a_new_product_to_a_thin_history_customer(interactions, items):
    catalogue = with_new_product(items)
    # a new customer who bought one Xiaomi earbud (I000 is "小米 耳机 Pro")
    log = pd.concat(
        [
            interactions,
            pd.DataFrame(
                [{"user_id": "fresh", "item_id": "I000", "rating": 5.0, "timestamp": 1.8e9}]
            ),
        ]
    )
    model = Recommender(k=10, candidates=20, item_neighbours=20, user_neighbours=10).fit(
        log, catalogue
    )
    recs = model.recommend("fresh", n=5)
    by_id = {r.item_id: r for r in recs}
    assert "NEW1" in by_id
    assert by_id["NEW1"].reason.kind == "new_similar"
    assert by_id["NEW1"].reason.text("zh") == "新品，与 小米 耳机 Pro 相似"


def test_without_text_content_falls_back_to_popular_items(interactions):
    model = ContentRecommender().fit(interactions)  # no item metadata at all
    recs = model.recommend("U000", n=3)
    assert len(recs) == 3
    assert {r.reason.kind for r in recs} <= {"popular", "popular_city"}  # U000 lives in 上海
