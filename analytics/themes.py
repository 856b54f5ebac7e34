"""Complaint themes: negative texts grouped by topic on their keywords, each theme named by
its top terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["complaint_themes"]


def _identity(keywords: Sequence[str]) -> Sequence[str]:
    return keywords


def complaint_themes(
    docs: Sequence[tuple[str, Sequence[str]]],
    *,
    n_themes: int = 6,
    n_terms: int = 5,
    n_examples: int = 3,
    min_docs_per_theme: int = 5,
    random_state: int = 0,
) -> list[dict]:
    """Group texts by theme: an NMF topic model over the TF-IDF of their keywords; each
    text goes to its strongest topic, each theme is named by its topic's top terms.

    Args:
        docs: ``(text, keywords)`` pairs, usually the negative texts (or a sample).
        n_themes: the most themes returned; fewer when there are few texts
            (about one theme per ``min_docs_per_theme`` texts).
        n_terms: terms naming each theme.
        n_examples: example texts per theme (those most strongly in the theme).
        min_docs_per_theme: see ``n_themes``.
        random_state: seed of the topic model.

    Returns:
        Themes, largest first: ``{"name", "terms", "size", "share", "examples"}`` where
        ``size`` counts texts of ``docs`` and ``share`` is ``size / len(usable docs)``.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    if n_themes < 1 or n_terms < 1 or n_examples < 0 or min_docs_per_theme < 1:
        raise ValueError("n_themes, n_terms and min_docs_per_theme must be positive")
    usable = [(text, list(kws)) for text, kws in docs if kws]
    if len(usable) < 2:
        return []
    # Keywords of a single text cannot make a theme; on large samples drop them too.
    min_df = 2 if len(usable) >= 50 else 1
    vectorizer = TfidfVectorizer(analyzer=_identity, min_df=min_df, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([kws for _, kws in usable])
    except ValueError:  # no keyword left
        return []
    keep = np.flatnonzero(matrix.getnnz(axis=1))
    usable = [usable[i] for i in keep]
    matrix = matrix[keep]
    if len(usable) < 2:
        return []
    k = max(1, min(n_themes, len(usable) // min_docs_per_theme, matrix.shape[1]))
    terms = np.array(vectorizer.get_feature_names_out())
    if k == 1:
        weights = np.asarray(matrix.sum(axis=1)).reshape(-1, 1)
        topics = np.asarray(matrix.mean(axis=0))
    else:
        model = NMF(n_components=k, init="nndsvd", max_iter=400, random_state=random_state)
        weights = model.fit_transform(matrix)
        topics = model.components_
    labels = weights.argmax(axis=1)
    themes: list[dict[str, Any]] = []
    for topic in range(topics.shape[0]):
        members = np.flatnonzero((labels == topic) & (weights[:, topic] > 0))
        if members.size == 0:
            continue
        order = np.lexsort((terms, -topics[topic]))  # weight desc, then term
        top = [str(terms[i]) for i in order[:n_terms] if topics[topic][i] > 0]
        nearest = members[np.argsort(-weights[members, topic], kind="stable")]
        examples, seen = [], set()
        for i in nearest:
            text = usable[i][0]
            if text not in seen:
                seen.add(text)
                examples.append(text)
            if len(examples) >= n_examples:
                break
        themes.append(
            {
                "name": " / ".join(top[:3]),
                "terms": top,
                "size": int(members.size),
                "share": round(members.size / len(usable), 4),
                "examples": examples,
            }
        )
    themes.sort(key=lambda t: (-t["size"], t["name"]))
    return themes
