"""Keyword extraction for Chinese, English and mixed text.

Chinese words are weighted with ``jieba.analyse`` (its TF-IDF with jieba's shipped IDF
table, or its TextRank over part-of-speech tagged words); English words come from the
project tokenizer (an nltk ``RegexpTokenizer``) and are weighted by term frequency times
an inverse document frequency learned with :meth:`KeywordExtractor.fit` on the corpus.
Stop words of both languages are the shipped lists (:func:`nlp.stopwords.stopwords`).

Every text goes through the one project tokenizer (:mod:`nlp.tokenize`), never the
process-global ``jieba.dt``.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from nlp.text import CJK_RE

__all__ = ["KeywordExtractor", "top_terms_by_group"]

Method = Literal["tfidf", "textrank"]

# A keyword in Latin script: letters (digits allowed inside, as in "5g" or "mp3").
_LATIN_WORD = re.compile(r"[a-z][a-z0-9'’\-]*[a-z0-9]|[a-z]{2,}")
# Only the head of a huge text is used: keywords do not need more. (The same limit as the
# sentiment vectorizer's, so that a shared token cache serves both.)
MAX_CHARS = 2_000


@lru_cache(maxsize=1)
def _jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's shipped IDF table and its median (loaded once per process).

    The same table and median as ``jieba.analyse.TFIDF``, read straight from
    ``jieba/analyse/idf.txt``: importing ``jieba.analyse`` would also build its default
    extractor and load jieba's part-of-speech dictionary, seconds that are not needed.
    """
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ImportError("jieba is not installed")
    path = Path(spec.origin).parent / "analyse" / "idf.txt"
    parts = path.read_bytes().decode("utf-8").split()  # "word idf" per line
    if len(parts) % 2:
        raise ValueError(f"malformed jieba IDF table: {path}")
    values = np.array(parts[1::2], dtype=np.float64)
    middle = len(values) // 2
    median = float(np.partition(values, middle)[middle]) if len(values) else 1.0
    return dict(zip(parts[0::2], values.tolist(), strict=True)), median


class _Pair:
    """A (word, flag) pair shaped like ``jieba.posseg.pair`` for jieba's TextRank."""

    __slots__ = ("word", "flag")

    def __init__(self, word: str, flag: str) -> None:
        self.word = word
        self.flag = flag

    def __iter__(self):
        return iter((self.word, self.flag))


class KeywordExtractor:
    """Per-text keywords for Chinese, English and mixed text.

    Args:
        method: ``"tfidf"`` (fast; jieba's IDF table for Chinese words) or
            ``"textrank"`` (jieba's TextRank over nouns and verbs; slower).
        top_k: keywords returned per text.
        tokenizer: an :class:`nlp.Tokenizer`; ``None`` for the shared default one.
        stop_words: extra words never returned (the shipped zh and en lists always apply).

    Attributes:
        idf_: inverse document frequency of English words learned by :meth:`fit`.
        median_idf_: the IDF given to English words unseen by :meth:`fit`.
    """

    def __init__(
        self,
        *,
        method: Method = "tfidf",
        top_k: int = 5,
        tokenizer=None,
        stop_words: Iterable[str] | None = None,
    ) -> None:
        self.method = method
        self.top_k = top_k
        self.tokenizer = tokenizer
        self.stop_words = stop_words

    # -- learned state -------------------------------------------------------------------
    def fit(self, texts: Iterable[str]) -> KeywordExtractor:
        """Learn English document frequencies from ``texts`` (Chinese uses jieba's table).

        Args:
            texts: the corpus, or a sample of it (strings; other values are skipped).

        Returns:
            self.
        """
        self._check_params()
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            if not isinstance(text, str):
                continue
            n += 1
            df.update({w for w in self._words(text) if not CJK_RE.search(w)})
        self.n_docs_ = n
        self.idf_ = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
        values = sorted(self.idf_.values())
        self.median_idf_ = values[len(values) // 2] if values else 1.0
        return self

    def _check_params(self) -> None:
        if self.method not in ("tfidf", "textrank"):
            raise ValueError(f"method must be 'tfidf' or 'textrank', got {self.method!r}")
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 1:
            raise ValueError(f"top_k must be a positive integer, got {self.top_k!r}")

    # -- resources (lazy) ----------------------------------------------------------------
    def prepare(self) -> KeywordExtractor:
        """Load the tokenizer, the stop words and what the method uses (jieba's IDF table,
        or the TextRank engine with its part-of-speech tagger) now, before forking worker
        processes, say, so that they share them; return self."""
        self._check_params()
        self._stops()
        tokenizer = self._tok()
        if hasattr(tokenizer, "prepare"):
            tokenizer.prepare()
        if self.method == "textrank":
            self._textrank_engine()
        else:
            _jieba_idf()
        return self

    def _tok(self):
        if self.tokenizer is None:
            from nlp.tokenize import default_tokenizer

            self.tokenizer = default_tokenizer()
        return self.tokenizer

    def _stops(self) -> frozenset[str]:
        stops = getattr(self, "_stop_set", None)
        if stops is None:
            from nlp.stopwords import stopwords

            words = set(stopwords("zh")) | set(stopwords("en"))
            words.update(w.lower() for w in (self.stop_words or ()))
            stops = self._stop_set = frozenset(words)
        return stops

    def _words(self, text: str) -> list[str]:
        """Candidate keywords of ``text`` in order: lower-cased, stop words removed."""
        stops = self._stops()
        is_cjk, is_latin = CJK_RE.search, _LATIN_WORD.fullmatch
        words = []
        for token, _, _ in self._tok().tokenize(text[:MAX_CHARS]):
            word = token.lower()
            if word in stops:
                continue
            if is_cjk(word):
                if len(word.strip()) >= 2:
                    words.append(word)
            elif len(word) >= 3 and is_latin(word):
                words.append(word)
        return words

    # -- extraction ----------------------------------------------------------------------
    def extract(self, text: str) -> list[tuple[str, float]]:
        """The ``top_k`` keywords of ``text`` with their weights, best first.

        Args:
            text: any string (empty and whitespace give ``[]``).

        Returns:
            ``[(word, weight), ...]``, at most ``top_k``, ties broken by first occurrence.

        Raises:
            TypeError: when ``text`` is not a string.
            ValueError: on invalid parameters.
        """
        if not isinstance(text, str):
            raise TypeError(f"extract() expects a str, got {type(text).__name__}")
        self._check_params()
        if self.method == "textrank":
            return self._textrank(text)
        return self._tfidf(self._words(text))

    def extract_many(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """:meth:`extract` for each text of ``texts``."""
        return [self.extract(text) for text in texts]

    def _english_idf(self, word: str) -> float:
        idf = getattr(self, "idf_", None)
        if idf is None:
            return 1.0
        return idf.get(word, self.median_idf_)

    def _tfidf(self, words: list[str]) -> list[tuple[str, float]]:
        if not words:
            return []
        freq: dict[str, float] = {}
        for w in words:
            freq[w] = freq.get(w, 0.0) + 1.0
        total = len(words)
        scored = []
        zh_idf = None
        for order, (w, f) in enumerate(freq.items()):
            if CJK_RE.search(w):
                if zh_idf is None:
                    zh_idf, zh_median = _jieba_idf()  # loaded only for Chinese words
                idf = zh_idf.get(w, zh_median)
            else:
                idf = self._english_idf(w)
            scored.append((-(f * idf / total), order, w))
        scored.sort()
        return [(w, -s) for s, _, w in scored[: self.top_k]]

    def _textrank_engine(self):
        """jieba's TextRank with our stop words and tokenizer, built once."""
        from jieba.analyse.textrank import TextRank
        from jieba.posseg import POSTokenizer

        ranker = getattr(self, "_ranker", None)
        if ranker is None:
            ranker = self._ranker = TextRank()
            ranker.stop_words = set(self._stops())
            ranker.postokenizer = _MixedPosTokenizer(self._tok(), POSTokenizer(self._tok().jieba))
        return ranker

    def _textrank(self, text: str) -> list[tuple[str, float]]:
        ranker = self._textrank_engine()
        try:
            ranked = ranker.textrank(text[:MAX_CHARS], topK=self.top_k, withWeight=True)
        except ZeroDivisionError:  # a text with no candidate pair
            return []
        return [(w.lower(), float(s)) for w, s in ranked]


class _MixedPosTokenizer:
    """Feeds jieba's TextRank: jieba's POS tags for Chinese runs, "n" for English words."""

    def __init__(self, tokenizer, pos_tokenizer) -> None:
        self.tokenizer = tokenizer
        self.pos = pos_tokenizer

    def cut(self, sentence: str) -> list[_Pair]:
        pairs: list[_Pair] = []
        for token in self.tokenizer.tokenize(sentence):
            word = token.text
            if CJK_RE.search(word):
                pairs.extend(_Pair(p.word, p.flag) for p in self.pos.cut(word))
            elif _LATIN_WORD.fullmatch(word.lower()) and len(word) >= 3:
                pairs.append(_Pair(word.lower(), "n"))
            else:
                pairs.append(_Pair(word, "x"))
        return pairs


def top_terms_by_group(
    counts: dict[str, Counter], top_k: int = 10, min_count: int = 2
) -> dict[str, list[tuple[str, int, float]]]:
    """The most distinctive keywords of each group.

    A term's score in a group is ``count * log2(lift)``, where ``lift`` is its share of the
    group's keyword occurrences over its share of all groups' (add-one smoothed): frequent
    in the group and over-represented there ranks first; terms no more frequent in the
    group than elsewhere (lift <= 1) are left out. With a single group, terms rank by count.

    Args:
        counts: ``{group: Counter({term: number of texts having it as a keyword})}``.
        top_k: terms per group.
        min_count: terms seen fewer times in a group are left out.

    Returns:
        ``{group: [(term, count, score), ...]}``, best first (ties by term).
    """
    if top_k < 1:
        raise ValueError(f"top_k must be positive, got {top_k}")
    totals: Counter[str] = Counter()
    for counter in counts.values():
        totals.update(counter)
    grand = sum(totals.values())
    vocabulary = len(totals) or 1
    several = sum(1 for c in counts.values() if c) > 1
    result = {}
    for group, counter in counts.items():
        size = sum(counter.values())
        scored = []
        for term, c in counter.items():
            if c < min_count:
                continue
            if several:
                lift = ((c + 1) / (size + vocabulary)) / ((totals[term] + 1) / (grand + vocabulary))
                if lift <= 1.0:
                    continue
                score = c * math.log2(lift)
            else:
                score = float(c)
            scored.append((score, term, c))
        scored.sort(key=lambda x: (-x[0], x[1]))
        result[group] = [(t, c, round(s, 4)) for s, t, c in scored[:top_k]]
    return result
