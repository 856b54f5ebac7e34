"""Products and customers of the demo shop, from the word lists in ``data/demo/catalog.json``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

# every brand of a category makes every product type of it once, and each type has this
# many more (another variant), so a customer who asks for "Sony earbuds" or "more earbuds"
# after a list of five finds some
EXTRA_PER_NOUN = 2


@lru_cache(maxsize=1)
def load_vocab(data_dir: str) -> tuple[dict, dict]:
    """The catalogue word lists and the review phrase banks under ``data_dir/demo``."""
    base = Path(data_dir) / "demo"
    catalog = json.loads((base / "catalog.json").read_text(encoding="utf-8"))
    reviews = json.loads((base / "reviews.json").read_text(encoding="utf-8"))
    return catalog, reviews


def pick(rng: np.random.Generator, items: Any) -> Any:
    """One item of ``items``, drawn with ``rng``."""
    return items[int(rng.integers(len(items)))]


def _price(rng: np.random.Generator, low: float, high: float, share: tuple[int, int]) -> Decimal:
    """A price of the band ``[low, high]`` (log scale), drawn in the ``share[0]``-th of
    ``share[1]`` equal slices: the products of one type spread over the whole band."""
    index, count = share
    start, stop = np.log(low), np.log(high)
    width = (stop - start) / count
    value = float(np.exp(start + width * (index + rng.uniform(0, 1))))
    if value >= 100:
        value = round(value / 10) * 10 - 1
    else:
        value = max(int(value), 1) + 0.9
    return Decimal(f"{value:.2f}")


def product_slug(noun_en: str) -> str:
    """File name of a product type's picture: ``"Bluetooth Earbuds"`` -> ``bluetooth-earbuds``."""
    return "-".join("".join(ch if ch.isalnum() else " " for ch in noun_en.lower()).split())


def make_products(
    rng: np.random.Generator, catalog: dict
) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """Every brand x type of each category (plus extras), their hidden quality and popularity."""
    rows, quality, popularity = [], [], []
    number = 1
    for key, cat in catalog["categories"].items():
        editions = len(catalog["editions"])
        variants = len(cat["variants"])
        chosen = []
        for n in range(len(cat["nouns"])):
            # each brand once, then extra products of random brands, with distinct names
            picks = [*range(len(cat["brands"]))]
            picks += [int(rng.integers(len(cat["brands"]))) for _ in range(EXTRA_PER_NOUN)]
            used: set[tuple[int, int, int]] = set()
            for b in picks:
                combo = (b, int(rng.integers(variants)), int(rng.integers(editions)))
                while combo in used:
                    combo = (b, int(rng.integers(variants)), int(rng.integers(editions)))
                used.add(combo)
                chosen.append((b, n, combo[1], combo[2]))
        order = rng.permutation(len(chosen))
        chosen = [chosen[i] for i in order]
        # the slice of its type's price band each product gets (cheap to dear, shuffled)
        slices: dict[int, list[int]] = {}
        for n in range(len(cat["nouns"])):
            count = sum(1 for c in chosen if c[1] == n)
            slices[n] = [int(i) for i in rng.permutation(count)]
        for b, n, v, e in chosen:
            brand, noun, variant = cat["brands"][b], cat["nouns"][n], cat["variants"][v]
            edition = catalog["editions"][e]
            f1, f2 = (cat["features"][i] for i in rng.choice(len(cat["features"]), 2, False))
            name_zh = f"{brand[0]} {variant[0]}{noun[0]}{(' ' + edition[0]) if edition[0] else ''}"
            name_en = f"{brand[1]} {variant[1]} {noun[1]}{(' ' + edition[1]) if edition[1] else ''}"
            pid = f"P{number:04d}"
            low, high = cat["noun_prices"].get(noun[1], cat["price"])
            per_noun = len(cat["brands"]) + EXTRA_PER_NOUN
            in_stock = rng.random() > 0.08
            rows.append(
                {
                    "id": pid,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "category": key,
                    "brand": brand[1],
                    "price": _price(rng, low, high, (slices[n].pop(), per_noun)),
                    "stock": int(rng.integers(5, 500)) if in_stock else 0,
                    "description_zh": f"{name_zh}：{f1[0]}，{f2[0]}。",
                    "description_en": f"{name_en}: {f1[1]}, {f2[1]}.",
                    "image": f"/static/img/products/{product_slug(noun[1])}.svg",
                    "url": f"/products/{pid}",
                    "_noun": noun,
                    "_features": cat["features"],
                }
            )
            quality.append(rng.normal(0, 0.45))
            popularity.append(rng.normal(0, 0.8))
            number += 1
    return rows, np.asarray(quality), np.asarray(popularity)


def make_customers(
    rng: np.random.Generator, catalog: dict, n: int, ref: date
) -> tuple[list[dict], list[str]]:
    """``n`` customers (70% Chinese-speaking) signed up before ``ref``, and their addresses."""
    rows, phones = [], set()
    for i in range(1, n + 1):
        lang = "zh" if rng.random() < 0.7 else "en"
        if lang == "zh":
            name = pick(rng, catalog["surnames_zh"]) + pick(rng, catalog["given_zh"])
            email = f"user{i:05d}@example.cn"
            city = pick(rng, catalog["cities_zh"])
            while (
                phone := f"1{pick(rng, '35789')}{int(rng.integers(10**8, 10**9)):09d}"
            ) in phones:
                pass
            street = pick(rng, catalog["streets_zh"])
            address = f"{city}市{street}{int(rng.integers(1, 400))}号"
        else:
            first, last = pick(rng, catalog["first_en"]), pick(rng, catalog["last_en"])
            name = f"{first} {last}"
            email = f"{first}.{last}{i}@example.com".lower()
            city = pick(rng, catalog["cities_en"])
            prefix = pick(rng, ["+65 9", "+44 7", "+852 6", "+1 415"])
            while (phone := f"{prefix}{int(rng.integers(10**6, 10**7)):07d}") in phones:
                pass
            address = f"{int(rng.integers(1, 400))} {pick(rng, catalog['streets_en'])}, {city}"
        phones.add(phone)
        signup = ref - timedelta(days=int(rng.integers(30, 3 * 365)))
        rows.append(
            {
                "id": f"C{i:05d}",
                "name": name,
                "email": email,
                "phone": phone,
                "language": lang,
                "city": city,
                "signup_date": signup,
                "_address": address,
            }
        )
    return rows, [r["_address"] for r in rows]
