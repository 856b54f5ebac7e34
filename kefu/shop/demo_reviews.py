"""Reviews of the demo shop: ratings from taste and quality, texts from phrase banks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np

from kefu.shop.demo_catalog import pick


def _compose_review(
    rng: np.random.Generator, bank: dict, rating: int, noun: str, feature: str
) -> str:
    polarity = {1: "neg", 2: "neg", 3: "mid", 4: "pos", 5: "pos"}[rating]
    if rng.random() < 0.1:  # a minority of texts disagree with their rating, as in life
        polarity = pick(rng, ["pos", "neg", "mid"])
    aspects = list(bank["aspects"])
    picked = [aspects[i] for i in rng.choice(len(aspects), int(rng.integers(1, 4)), False)]
    clauses = []
    for aspect in picked:
        pol = polarity
        if polarity == "mid":
            pol = pick(rng, ["pos", "neg", "mid", "mid"])
        elif rng.random() < 0.12:  # "great phone, slow delivery"
            pol = "mid"
        clauses.append(pick(rng, bank["aspects"][aspect][pol]).format(noun=noun, feature=feature))
    body = bank["join"].join(clauses)
    if bank is not None and body and bank["end"] == ".":
        body = body[0].upper() + body[1:]
    closer = pick(rng, bank["closers"][polarity])
    text = pick(rng, bank["openers"][polarity]) + body + bank["end"]
    if closer:
        text += ("" if bank["end"] == "。" else " ") + closer
    return text


def make_reviews(
    rng: np.random.Generator,
    bank: dict,
    custs: list[dict],
    products: list[dict],
    quality: np.ndarray,
    lines: list[dict],
    affinities: dict[tuple[int, int], float],
    n: int,
    ref: date,
) -> list[dict]:
    """``n`` reviews of delivered lines: rating from taste and quality, text from phrases."""
    eligible = {}
    for ln in lines:
        if ln["_status"] in ("delivered", "returned") and (ln["_c"], ln["_it"]) not in eligible:
            eligible[(ln["_c"], ln["_it"])] = ln
    keys = list(eligible)
    if len(keys) < n:
        raise ValueError(f"only {len(keys)} delivered lines can be reviewed, {n} reviews asked")
    picked = rng.choice(len(keys), size=n, replace=False)
    aff = np.array([affinities[keys[i]] for i in picked])
    aff = (aff - aff.mean()) / (aff.std() or 1.0)
    rows = []
    for j, i in enumerate(sorted(picked)):
        c, it = keys[i]
        ln = eligible[(c, it)]
        latent = 3.7 + 0.55 * aff[j] + 1.3 * quality[it] + rng.normal(0, 0.7)
        if ln["_status"] == "returned":
            latent -= 1.5
        rating = int(np.clip(np.rint(latent), 1, 5))
        lang = custs[c]["language"]
        if rng.random() < 0.1:
            lang = "en" if lang == "zh" else "zh"
        product = products[it]
        noun = product["_noun"][0 if lang == "zh" else 1]
        if lang == "en":
            noun = noun.lower()
        feature = pick(rng, product["_features"])[0 if lang == "zh" else 1]
        text = _compose_review(rng, bank[lang], rating, noun, feature)
        when = ln["_delivered"] + timedelta(days=float(rng.uniform(0.5, 20)))
        when = min(when, datetime.combine(ref, time(0)) - timedelta(minutes=5))
        rows.append(
            {
                "id": f"R{j + 1:06d}",
                "customer_id": custs[c]["id"],
                "product_id": product["id"],
                "rating": rating,
                "text": text,
                "language": lang,
                "created_at": when.replace(microsecond=0),
            }
        )
    return rows
