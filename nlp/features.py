"""Sparse text features shared by the intent and sentiment models.

Two blocks, each TF-IDF weighted (sublinear tf, smooth idf) and L2-normalised on its own,
then scaled by its weight and stacked:

* word n-grams of the normalised tokens (:func:`nlp.tokenize.normalize`: lower case,
  Snowball stems for English);
* character n-grams inside each Latin word and across each run of Chinese characters
  (padded with a space at both ends), so that jieba's segmentation errors and English
  typos cost little.

The vocabulary and idf weights are plain data (:meth:`TextVectorizer.get_state`), saved
as JSON and npz by the classifiers, never pickled.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, repeat
from operator import itemgetter

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from nlp.text import CJK_RE
from nlp.tokenize import Tokenizer, default_tokenizer, normalize

__all__ = ["TextVectorizer", "check_texts"]


def check_texts(texts: object, name: str = "texts") -> list[str]:
    """Return ``texts`` as a list of str, or raise a precise error.

    Args:
        texts: a sequence of strings (a bare string is rejected, as is any non-str item).
        name: the argument's name, for messages.

    Raises:
        TypeError: when ``texts`` is a str or not a sequence, or an item is not a str
            (the message names the item's index and type).
    """
    if isinstance(texts, str | bytes):
        raise TypeError(f"{name} must be a sequence of str, not a single {type(texts).__name__}")
    try:
        items = list(texts)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of str, got {type(texts).__name__}") from None
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(item).__name__}: {item!r:.80}")
    return items


def _ngrams(items: Sequence[str], low: int, high: int, sep: str) -> list[str]:
    out: list[str] = []
    for n in range(low, high + 1):
        if n == 1:
            out.extend(items)
        elif n == 2:
            out.extend([f"{a}{sep}{b}" for a, b in zip(items, items[1:], strict=False)])
        else:
            out.extend([sep.join(items[i : i + n]) for i in range(len(items) - n + 1)])
    return out


class _Vocabulary(Mapping):
    """``vocabulary_``: term -> column, the terms prefixed by their block (``"w:"`` word
    n-grams, ``"c:"`` character n-grams); a view of the two blocks' own dicts, which are
    what transforming uses (so the large vocabulary is held once)."""

    __slots__ = ("words", "chars")

    def __init__(self, words: dict[str, int], chars: dict[str, int]) -> None:
        self.words = words
        self.chars = chars

    def __getitem__(self, key: str) -> int:
        if isinstance(key, str):
            if key.startswith("w:"):
                return self.words[key[2:]]
            if key.startswith("c:"):
                return self.chars[key[2:]]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from ("w:" + t for t in self.words)
        yield from ("c:" + t for t in self.chars)

    def __len__(self) -> int:
        return len(self.words) + len(self.chars)


class TextVectorizer:
    """TF-IDF word and character n-grams of mixed Chinese/English text.

    Args:
        word_ngram_range: ``(min_n, max_n)`` of word n-grams; ``None`` for no word block.
        char_ngram_range: ``(min_n, max_n)`` of character n-grams; ``None`` for none.
        char_weight: weight of the character block relative to the word block (1.0).
        min_df: minimum number of training texts a term must occur in.
        max_chars: only the first ``max_chars`` characters of a text are used, so a
            1 MB message costs no more than a long one.
        segment_cjk: cut Chinese into words with jieba for the word block; when False,
            each run of Chinese characters is one "word" (a short clause such as 很满意)
            and the character block does the rest: on online_shopping_10_cats reviews
            that featurised 2.4x faster but cost 2.8 points of validation accuracy.
        tokenizer: the tokenizer; ``None`` for the shared default (with the shipped user
            dictionary).
    """

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | None = (1, 4),
        char_weight: float = 1.0,
        min_df: int = 1,
        max_chars: int = 2000,
        segment_cjk: bool = True,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.min_df = min_df
        self.max_chars = max_chars
        self.segment_cjk = segment_cjk
        self.tokenizer = tokenizer

    # -- parameters ------------------------------------------------------------------------
    def get_params(self) -> dict:
        """The constructor's parameters (JSON-serialisable, the tokenizer excluded)."""
        return {
            "word_ngram_range": list(self.word_ngram_range) if self.word_ngram_range else None,
            "char_ngram_range": list(self.char_ngram_range) if self.char_ngram_range else None,
            "char_weight": self.char_weight,
            "min_df": self.min_df,
            "max_chars": self.max_chars,
            "segment_cjk": self.segment_cjk,
        }

    def _validate(self) -> None:
        for name in ("word_ngram_range", "char_ngram_range"):
            rng = getattr(self, name)
            if rng is None:
                continue
            if (
                len(rng) != 2
                or not all(isinstance(v, int) for v in rng)
                or not 1 <= rng[0] <= rng[1]
            ):
                raise ValueError(
                    f"{name} must be (min_n, max_n) with 1 <= min_n <= max_n, got {rng!r}"
                )
        if self.word_ngram_range is None and self.char_ngram_range is None:
            raise ValueError("at least one of word_ngram_range and char_ngram_range is needed")
        if not self.char_weight > 0:
            raise ValueError(f"char_weight must be > 0, got {self.char_weight!r}")
        if not (isinstance(self.min_df, int) and self.min_df >= 1):
            raise ValueError(f"min_df must be an int >= 1, got {self.min_df!r}")
        if not (isinstance(self.max_chars, int) and self.max_chars >= 1):
            raise ValueError(f"max_chars must be an int >= 1, got {self.max_chars!r}")

    # -- analysis ----------------------------------------------------------------------------
    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """The word terms and the character terms of one text."""
        tokenizer = self.tokenizer or default_tokenizer()
        tokens = tokenizer.tokenize(text[: self.max_chars], segment_cjk=self.segment_cjk)
        words: list[str] = []
        chars: list[str] = []
        if self.word_ngram_range:
            forms = [normalize(t[0]) for t in tokens]
            words = _ngrams(forms, *self.word_ngram_range, sep=" ")
        if self.char_ngram_range:
            low, high = self.char_ngram_range
            for unit in _char_units(tokens):
                padded = f" {unit} "
                size = len(padded)
                for n in range(low, high + 1):
                    if n == 1:  # the padding spaces are not unigrams
                        chars.extend(unit)
                    else:
                        chars.extend([padded[i : i + n] for i in range(size - n + 1)])
        return words, chars

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str]) -> TextVectorizer:
        """Learn the vocabulary and idf weights; return self."""
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Learn the vocabulary and idf weights and return the features of ``texts``."""
        self._validate()
        texts = check_texts(texts)
        if not texts:
            raise ValueError("cannot fit a TextVectorizer on zero texts")
        analyzed = [self.analyze(t) for t in texts]
        blocks: list[dict[str, int]] = []
        idf_parts = []
        offset = 0
        for block in (0, 1):
            df: Counter[str] = Counter()
            for pair in analyzed:
                df.update(set(pair[block]))
            terms = sorted(t for t, c in df.items() if c >= self.min_df)
            blocks.append({term: offset + i for i, term in enumerate(terms)})
            offset += len(terms)
            counts = np.array([df[t] for t in terms], dtype=np.float64)
            idf_parts.append(np.log((1.0 + len(texts)) / (1.0 + counts)) + 1.0)
        self.vocabulary_ = _Vocabulary(*blocks)
        self.n_word_features_ = len(blocks[0])
        self.idf_ = np.concatenate(idf_parts)
        return self._matrix(analyzed)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Features of ``texts``: a CSR matrix of shape ``(len(texts), n_features)``."""
        self._check_fitted()
        texts = check_texts(texts)
        return self._matrix([self.analyze(t) for t in texts])

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError("This TextVectorizer is not fitted yet: call fit() first.")

    def _columns(
        self, analyzed: list[tuple[list[str], list[str]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every known term occurrence of ``analyzed`` (both blocks)."""
        rows, columns = [], []
        n = len(analyzed)
        for block, vocab in enumerate((self.vocabulary_.words, self.vocabulary_.chars)):
            lengths = np.fromiter((len(pair[block]) for pair in analyzed), np.int64, count=n)
            terms = chain.from_iterable(pair[block] for pair in analyzed)
            found = np.fromiter(
                map(vocab.get, terms, repeat(-1)), np.int64, count=int(lengths.sum())
            )
            known = found >= 0
            rows.append(np.repeat(np.arange(n), lengths)[known])
            columns.append(found[known])
        return np.concatenate(rows), np.concatenate(columns)

    def _matrix(self, analyzed: list[tuple[list[str], list[str]]]) -> sp.csr_matrix:
        n_rows, n_features = len(analyzed), len(self.idf_)
        rows, columns = self._columns(analyzed)
        # COO -> CSR adds up duplicates: the term counts.
        counts = sp.coo_matrix(
            (np.ones(len(rows)), (rows, columns)), shape=(n_rows, n_features)
        ).tocsr()
        counts.sum_duplicates()
        data = (1.0 + np.log(counts.data)) * self.idf_[counts.indices]  # sublinear tf-idf
        # Each block of each row is L2-normalised on its own, the character block then
        # scaled by its weight.
        entry_rows = np.repeat(np.arange(n_rows), np.diff(counts.indptr))
        is_char = counts.indices >= self.n_word_features_
        key = entry_rows * 2 + is_char
        norms = np.sqrt(np.bincount(key, weights=data * data, minlength=2 * n_rows))
        scale = np.where(is_char, self.char_weight, 1.0) / norms[key]
        out = sp.csr_matrix((data * scale, counts.indices, counts.indptr), shape=counts.shape)
        out.sort_indices()
        return out

    # -- persistence ---------------------------------------------------------------------------
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(json_part, arrays)``: parameters and terms as JSON data, idf as an array."""
        self._check_fitted()
        terms = list(self.vocabulary_)  # column order: both blocks' dicts are built in it
        return {"params": self.get_params(), "terms": terms}, {"idf": self.idf_}

    @classmethod
    def from_state(
        cls, meta: dict, arrays: dict[str, np.ndarray], tokenizer: Tokenizer | None = None
    ) -> TextVectorizer:
        """Rebuild a fitted vectorizer from :meth:`get_state`'s output.

        Raises:
            ValueError: when the state is inconsistent (wrong keys, lengths or types).
        """
        try:
            params = dict(meta["params"])
            for key in ("word_ngram_range", "char_ngram_range"):
                if params.get(key) is not None:
                    params[key] = tuple(params[key])
            terms = meta["terms"]
            idf = np.asarray(arrays["idf"], dtype=np.float64)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed vectorizer state: {exc!r}") from exc
        # Checked on one joined string, as loops over a million terms would take a second.
        # (No term holds a line break: tokens never contain whitespace but the padding.)
        try:
            joined = "\n" + "\n".join(terms) if isinstance(terms, list) else None
        except TypeError:
            joined = None
        if joined is None:
            raise ValueError("malformed vectorizer state: terms must be a list of str")
        if idf.ndim != 1 or idf.shape[0] != len(terms) or not np.all(np.isfinite(idf)):
            raise ValueError("malformed vectorizer state: idf does not match the terms")
        vec = cls(**params, tokenizer=tokenizer)
        vec._validate()
        # Word terms ("w:...") first, then character terms ("c:...").
        n_words, n_chars = joined.count("\nw:"), joined.count("\nc:")
        if n_words + n_chars != len(terms) or (
            n_words and n_chars and joined.rfind("\nw:") > joined.find("\nc:")
        ):
            raise ValueError("malformed vectorizer state: terms must be w: terms, then c: terms")
        strip = itemgetter(slice(2, None))
        words = dict(zip(map(strip, terms[:n_words]), range(n_words), strict=True))
        chars = dict(zip(map(strip, terms[n_words:]), range(n_words, len(terms)), strict=True))
        if len(words) + len(chars) != len(terms):
            raise ValueError("malformed vectorizer state: duplicate terms")
        vec.vocabulary_ = _Vocabulary(words, chars)
        vec.idf_ = idf
        vec.n_word_features_ = n_words
        return vec


def _char_units(tokens: list) -> list[str]:
    """Units for character n-grams: each non-CJK token, and each run of adjacent CJK
    tokens joined (so n-grams cross jieba's word boundaries); NFKC, lower case."""
    units: list[str] = []
    run: list[str] = []
    prev_end = -1
    is_cjk = CJK_RE.match
    for text, start, end in tokens:
        if is_cjk(text):
            if run and start != prev_end:
                units.append("".join(run))
                run = []
            run.append(text)
            prev_end = end
            continue
        if run:
            units.append("".join(run))
            run = []
        units.append(text)
    if run:
        units.append("".join(run))
    return [u.lower() if u.isascii() else _nfkc("NFKC", u).lower() for u in units]


_nfkc = unicodedata.normalize
