"""Content-based similarity over product text, for products with few or no interactions.

Each item's text (names in both languages, brand, category, descriptions) is tokenized with
:mod:`nlp`'s mixed Chinese/English tokenizer and weighted by TF-IDF; items are similar when
their texts are (cosine). A customer's score for an item is the sum of its similarity to the
items they interacted with, so a new product can be recommended from day one.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from recsys.base import BaseRecommender
from recsys.dataset import Dataset, ItemInfo
from recsys.neighbors import empty_neighbours, explain_by_items
from recsys.reasons import Reason
from recsys.similarity import Neighbours, top_k_similarity

_WORDLIKE = re.compile(r"\w")


def item_words(text: str) -> list[str]:
    """Normalised word tokens of a product text (punctuation dropped)."""
    from nlp.tokenize import default_tokenizer

    return [w for w in default_tokenizer().words(text) if _WORDLIKE.search(w)]


def item_documents(info: ItemInfo) -> list[str]:
    """One text per item: names, brand and category (twice: they matter most), descriptions."""
    docs = []
    for row in range(len(info.name_zh)):
        strong = " ".join(
            x
            for x in (info.name_zh[row], info.name_en[row], info.brand[row], info.category[row])
            if x
        )
        weak = " ".join(x for x in (info.description_zh[row], info.description_en[row]) if x)
        docs.append(f"{strong} {strong} {weak}".strip())
    return docs


def content_neighbours(info: ItemInfo, k: int, min_df: int = 1) -> Neighbours:
    """Top-k text-similar items of every item (no neighbours when there is no text)."""
    docs = item_documents(info)
    n = len(docs)
    if not any(docs):
        return empty_neighbours(n)
    vectorizer = TfidfVectorizer(
        analyzer=item_words, min_df=min_df, sublinear_tf=True, dtype=np.float32
    )
    try:
        features = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return empty_neighbours(n)
    # rows of `features` are items; similarities are between the columns of its transpose
    return top_k_similarity(sp.csr_matrix(features.T), k=k, kind="cosine")


class ContentRecommender(BaseRecommender):
    """Recommends items whose text resembles what the customer bought or liked.

    Args:
        neighbours: similar items kept per item.
        rating_scale: valid (low, high) ratings (input validation and ``predict``).
        only_in_stock: recommend only items in stock.
    """

    _persisted = ("content_neighbours_",)

    def __init__(
        self,
        neighbours: int = 50,
        rating_scale: tuple[float, float] = (1.0, 5.0),
        only_in_stock: bool = True,
    ) -> None:
        self.neighbours = neighbours
        self.rating_scale = rating_scale
        self.only_in_stock = only_in_stock

    def _fit(self, data: Dataset) -> None:
        if (
            isinstance(self.neighbours, bool)
            or not isinstance(self.neighbours, int)
            or self.neighbours < 1
        ):
            raise ValueError(f"neighbours must be a positive integer, got {self.neighbours!r}")
        self.content_neighbours_ = content_neighbours(data.item_info, self.neighbours)

    def _prepare(self) -> None:
        super()._prepare()
        self._content_matrix = self.content_neighbours_.to_csr()
        self._confidence = self.dataset_.confidence.tocsr()

    def _score_user(self, user: int) -> np.ndarray:
        return np.asarray((self._confidence[user] @ self._content_matrix).todense()).ravel()

    def _explain(self, user: int, items: np.ndarray) -> list[Reason]:
        reasons = explain_by_items(self, user, items, self._content_matrix)
        return [
            Reason("similar", item=r.item, item_id=r.item_id)
            if r.kind in ("bought", "rated")
            else r
            for r in reasons
        ]

    def _item_similarities(self, item: int) -> np.ndarray:
        return np.asarray(self._content_matrix[item].todense()).ravel()
