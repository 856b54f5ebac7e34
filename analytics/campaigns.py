"""Campaign lists: one row per customer of a segment, with personalised suggestions and a
message in the customer's language (templates in ``data/analytics/segments.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kefu.shop.queries import frames
from nlp.text import DEFAULT_LANGUAGE, LANGUAGES
from recsys.segments import segment_prototypes

__all__ = ["CAMPAIGN_COLUMNS", "campaign_rows"]

CAMPAIGN_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "language",
    "segment",
    "segment_name",
    "recency_days",
    "frequency",
    "monetary",
    "propensity",
    "product_ids",
    "products",
    "reasons",
    "message",
)


def campaign_rows(
    customers: pd.DataFrame,
    segment: str,
    *,
    url: str | None = None,
    recommender=None,
    n_products: int = 3,
) -> list[dict]:
    """One campaign row per customer of ``customers``, with personalised suggestions.

    Args:
        customers: indexed by ``customer_id`` with ``recency_days``, ``frequency``,
            ``monetary`` and optionally ``propensity`` (the segment's members).
        segment: the segment's key (its message template is used).
        url: the shop database (customers' names, e-mails, languages; product names).
        recommender: a fitted recommender with ``recommend(user_id, n=...)`` (default
            :func:`kefu.recommender.load_shop_recommender`).
        n_products: suggestions per customer.

    Returns:
        Rows with :data:`CAMPAIGN_COLUMNS`, ordered by descending propensity, then id.
    """
    proto = {p["key"]: p for p in segment_prototypes()}.get(segment)
    if proto is None:
        raise ValueError(f"unknown segment {segment!r}")
    if recommender is None:
        from kefu.recommender import load_shop_recommender

        recommender = load_shop_recommender()
    people = frames.customer_contacts(url, customers.index)
    names = frames.product_names(url)
    frame = customers.copy()
    if "propensity" not in frame:
        frame["propensity"] = np.nan
    frame = frame.assign(_id=frame.index.astype(str)).sort_values(
        ["propensity", "_id"], ascending=[False, True], na_position="last"
    )
    rows = []
    for cid, rec in frame.iterrows():
        cid = str(cid)
        name, email, language = people.get(cid, ("", "", "zh"))
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        suggestions = recommender.recommend(cid, n=n_products)
        titles = [names.get(str(s.item_id), {}).get(language, str(s.item_id)) for s in suggestions]
        joiner = "、" if language == "zh" else ", "
        message = proto[f"message_{language}"].format(
            name=name or cid, products=joiner.join(titles) if titles else proto[language]
        )
        rows.append(
            {
                "customer_id": cid,
                "name": name,
                "email": email,
                "language": language,
                "segment": segment,
                "segment_name": proto[language],
                "recency_days": round(float(rec["recency_days"]), 1),
                "frequency": int(rec["frequency"]),
                "monetary": round(float(rec["monetary"]), 2),
                "propensity": None
                if pd.isna(rec["propensity"])
                else round(float(rec["propensity"]), 4),
                "product_ids": " ".join(str(s.item_id) for s in suggestions),
                "products": joiner.join(titles),
                "reasons": " | ".join(dict.fromkeys(s.reason.text(language) for s in suggestions)),
                "message": message,
            }
        )
    return rows
