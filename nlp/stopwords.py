"""Stop-word lists shipped in ``data/stopwords/{zh,en}.txt`` (one word per line, ``#``
comments); nltk's corpora cannot be downloaded here, so the lists live in the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from nlp.text import LANGUAGES

__all__ = ["STOPWORDS_DIR", "stopwords"]

STOPWORDS_DIR = Path(__file__).resolve().parents[1] / "data" / "stopwords"


def stopwords(lang: str) -> frozenset[str]:
    """The stop words of ``lang`` (``"zh"`` or ``"en"``), lower case.

    Raises:
        ValueError: for another language.
        FileNotFoundError: when the shipped list is missing.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"no stop-word list for {lang!r}; available: {', '.join(LANGUAGES)}")
    return _load(lang)


@cache
def _load(lang: str) -> frozenset[str]:
    path = STOPWORDS_DIR / f"{lang}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"stop-word list missing: {path}")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            words.add(word.lower())
    return frozenset(words)
