"""Fixtures for the recommender tests: a small synthetic shop with real taste structure,
and a small demo shop database built once per session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys import (
    BaselinePredictor,
    ContentRecommender,
    ItemKNN,
    PopularityRecommender,
    Recommender,
    UserKNN,
)

REF_DATE = date(2026, 11, 1)
DEMO_SIZES = {"customers": 300, "order_lines": 4000, "reviews": 1000}
CATEGORIES = {
    "electronics": (
        "数码",
        "Electronics",
        [("耳机", "Earbuds"), ("手表", "Watch"), ("平板", "Tablet")],
    ),
    "books": (
        "图书",
        "Books",
        [("小说", "Novel"), ("词典", "Dictionary"), ("绘本", "Picture Book")],
    ),
    "food": ("食品", "Food & Snacks", [("坚果", "Nuts"), ("咖啡", "Coffee"), ("茶叶", "Tea")]),
    "pets": (
        "宠物",
        "Pet Supplies",
        [("猫粮", "Cat Food"), ("狗粮", "Dog Food"), ("猫砂", "Cat Litter")],
    ),
}
BRANDS = [("小米", "Xiaomi"), ("华为", "Huawei"), ("索尼", "Sony")]
EDITIONS = ["Pro", "Lite", "Max"]

#: every model variant, each built with small neighbour tables for the toy data
VARIANTS = {
    "baseline": lambda: BaselinePredictor(),
    "popularity": lambda: PopularityRecommender(),
    "item_knn": lambda: ItemKNN(k=10, candidates=20, ranking_neighbours=20),
    "user_knn": lambda: UserKNN(k=10, candidates=20, ranking_neighbours=20),
    "content": lambda: ContentRecommender(neighbours=10),
    "hybrid": lambda: Recommender(
        k=10, candidates=20, item_neighbours=20, user_neighbours=10, content_neighbours=10
    ),
}


def make_items(n_per_category: int = 9, seed: int = 0) -> pd.DataFrame:
    """Bilingual products: 4 categories x ``n_per_category``; every 7th is out of stock."""
    rng = np.random.default_rng(seed)
    rows = []
    for c, (key, (zh, en, nouns)) in enumerate(CATEGORIES.items()):
        for j in range(n_per_category):
            b_zh, b_en = BRANDS[j % len(BRANDS)]
            n_zh, n_en = nouns[j % len(nouns)]
            number = c * n_per_category + j
            rows.append(
                {
                    "item_id": f"I{number:03d}",
                    "name_zh": f"{b_zh} {n_zh} {EDITIONS[j // 3 % 3]}",
                    "name_en": f"{b_en} {n_en} {EDITIONS[j // 3 % 3]}",
                    "category": key,
                    "category_zh": zh,
                    "category_en": en,
                    "brand": b_en,
                    "description_zh": f"{b_zh}{n_zh}，{zh}精选。",
                    "description_en": f"{b_en} {n_en.lower()}, a pick of {en.lower()}.",
                    "stock": 0 if number % 7 == 3 else int(rng.integers(1, 50)),
                    "price": float(rng.uniform(5, 500)),
                }
            )
    return pd.DataFrame(rows)


def make_interactions(
    items: pd.DataFrame, n_users: int = 80, per_user: int = 8, seed: int = 0
) -> pd.DataFrame:
    """Users who mostly buy and rate within one favourite category (real CF signal)."""
    rng = np.random.default_rng(seed)
    cats = items["category"].to_numpy()
    keys = list(CATEGORIES)
    rows = []
    for u in range(n_users):
        favourite = keys[u % len(keys)]
        probs = np.where(cats == favourite, 8.0, 1.0)
        probs /= probs.sum()
        chosen = rng.choice(len(items), size=per_user, replace=False, p=probs)
        for t, i in enumerate(chosen):
            liked = cats[i] == favourite
            rating = float(np.clip(round(rng.normal(4.3 if liked else 2.3, 0.6)), 1, 5))
            rows.append(
                {
                    "user_id": f"U{u:03d}",
                    "item_id": items["item_id"].iloc[i],
                    "rating": rating,
                    "timestamp": 1_700_000_000 + u * 1000 + t,
                    "language": "zh" if u % 3 else "en",
                    "city": ["上海", "北京", "London"][u % 3],
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def items() -> pd.DataFrame:
    return make_items()


@pytest.fixture(scope="session")
def interactions(items: pd.DataFrame) -> pd.DataFrame:
    return make_interactions(items)


@pytest.fixture(scope="session", params=sorted(VARIANTS))
def fitted(request, interactions, items):
    """Every model variant, fitted once on the toy shop."""
    return VARIANTS[request.param]().fit(interactions, items)


@pytest.fixture(scope="session")
def hybrid(interactions, items) -> Recommender:
    return VARIANTS["hybrid"]().fit(interactions, items)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo shop in SQLite, built once per session (read-only for tests)."""
    from kefu.shop.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('recsys-shop') / 'shop.db'}"
    build_demo(url, reference_date=REF_DATE, progress=False, **DEMO_SIZES)
    return url


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KEFU_VAR_DIR (models are saved under it), no database URL override."""
    var = tmp_path / "var"
    monkeypatch.setenv("KEFU_VAR_DIR", str(var))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    return var
