"""Products and customers of the demo shop, from the word lists in ``data/demo/catalog.json``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

PRODUCTS_PER_CATEGORY = 26


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


def _price(rng: np.random.Generator, low: float, high: float) -> Decimal:
    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
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
    """``PRODUCTS_PER_CATEGORY`` products per category, their hidden quality and popularity."""
    rows, quality, popularity = [], [], []
    number = 1
    for key, cat in catalog["categories"].items():
        combos = [
            (b, n, v, e)
            for b in range(len(cat["brands"]))
            for n in range(len(cat["nouns"]))
            for v in range(len(cat["variants"]))
            for e in range(len(catalog["editions"]))
        ]
        order = rng.permutation(len(combos))
        chosen, seen_nouns = [], set()
        # every noun at least once, then the rest in random order
        for idx in order:
            b, n, v, e = combos[idx]
            if n not in seen_nouns:
                chosen.append(combos[idx])
                seen_nouns.add(n)
        for idx in order:
            if len(chosen) >= PRODUCTS_PER_CATEGORY:
                break
            if combos[idx] not in chosen:
                chosen.append(combos[idx])
        for b, n, v, e in chosen:
            brand, noun, variant = cat["brands"][b], cat["nouns"][n], cat["variants"][v]
            edition = catalog["editions"][e]
            f1, f2 = (cat["features"][i] for i in rng.choice(len(cat["features"]), 2, False))
            name_zh = f"{brand[0]} {variant[0]}{noun[0]}{(' ' + edition[0]) if edition[0] else ''}"
            name_en = f"{brand[1]} {variant[1]} {noun[1]}{(' ' + edition[1]) if edition[1] else ''}"
            pid = f"P{number:04d}"
            in_stock = rng.random() > 0.08
            rows.append(
                {
                    "id": pid,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "category": key,
                    "brand": brand[1],
                    "price": _price(rng, *cat["noun_prices"].get(noun[1], cat["price"])),
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
