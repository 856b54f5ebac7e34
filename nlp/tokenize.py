"""One tokenizer for Chinese, English and mixed text.

Runs of CJK characters go to jieba's word segmentation (an instance of our own, never the
process-global ``jieba.dt``); everything else goes to an nltk ``RegexpTokenizer`` (no
downloaded data needed). The segmentation runs on ``rjieba`` (jieba-rs: jieba's algorithm,
dictionary and HMM in Rust, about 14 times faster) when it is installed, else on jieba
itself; both give the same words on all but a handful of texts (see :class:`Tokenizer`).
URLs, e-mail addresses, phone numbers, order numbers (``KF10000123``), decimal numbers
and the user dictionary's mixed-script words (``T恤``) stay whole. Whitespace, control
and format characters are never emitted as tokens. Every token carries its character
offsets in the original string, so ``text[token.start:token.end] == token.text``.

Features use :func:`normalize`: NFKC, lower case and, for Latin words, a Snowball stem.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, NamedTuple

from nlp.jieba_dict import load_rjieba, read_user_dict
from nlp.text import CJK_RE, CJK_RUN_RE, EMAIL_PATTERN, URL_PATTERN

__all__ = ["Token", "Tokenizer", "default_tokenizer", "normalize", "tokenize"]

logger = logging.getLogger(__name__)

# +86 138-0013-8000, 138 0013 8000, (021) 6234-5678, 400-820-8820; checked for >= 7 digits.
_PHONE = (
    r"(?<![\w.])(?:\+\d{1,3}[ \-]?)?(?:\(\d{2,4}\)[ \-]?)?\d{2,4}(?:[ \-]\d{3,4}){1,3}(?![\w.])"
)
_NUMBER = r"\d+(?:[.,:/]\d+)+%?|\d+%"
_SPECIAL_RE = re.compile(f"(?P<url>{URL_PATTERN})|(?P<email>{EMAIL_PATTERN})|(?P<phone>{_PHONE})")
# Every URL, e-mail address and phone number has one of these: texts without any skip
# the (slower) search above.
_MAYBE_SPECIAL_RE = re.compile(r"://|www\.|@|\d")

# The nltk pattern for non-CJK text: numbers, words (apostrophes and hyphens inside),
# then any other single visible character (punctuation, symbols, emoji).
# (nltk compiles with the ``regex`` module, whose \w also matches joiners: exclude them.)
_WORD_CHAR = r"[^\W_\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
_LATIN_PATTERN = rf"{_NUMBER}|{_WORD_CHAR}+(?:['’\-]{_WORD_CHAR}+)*|\S"

# Characters never emitted: controls, format chars (ZWJ, BOM), surrogates, private use,
# unassigned, separators, and lone combining marks (variation selectors).
_SKIP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})

_LATIN_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)*")


class Token(NamedTuple):
    """A token and its character offsets in the original text (``text[start:end]``)."""

    text: str
    start: int
    end: int


# Token((text, start, end)) without the Python-level __new__ of a NamedTuple (hot path).
_token = partial(tuple.__new__, Token)


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


@lru_cache(maxsize=200_000)
def normalize(word: str) -> str:
    """The feature form of a token: NFKC, lower case, Snowball stem for Latin words.

    Args:
        word: a token's text.

    Returns:
        The normalised form (``"Refunds"`` -> ``"refund"``, ``"ＫＦ１２"`` -> ``"kf12"``);
        CJK words are only NFKC-normalised.

    Raises:
        TypeError: when ``word`` is not a string.
    """
    if not isinstance(word, str):
        raise TypeError(f"normalize() expects a str, got {type(word).__name__}: {word!r:.80}")
    form = unicodedata.normalize("NFKC", word).lower()
    if _LATIN_WORD_RE.fullmatch(form):
        return _stemmer().stem(form.replace("’", "'"))
    return form


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expected a str to tokenize, got {type(text).__name__}: {text!r:.80}")
    return text


# jieba segments only these ideographs; other CJK characters (extension A, compatibility
# and supplementary ideographs, 〇, 々) come out of jieba one character per word. Runs are
# cut here the same way, so that every backend sees exactly what jieba would segment.
_JIEBA_HAN_RE = re.compile("[\u4e00-\u9fd5]+")

BACKENDS = ("auto", "rjieba", "jieba")


def _rjieba_available() -> bool:
    return importlib.util.find_spec("rjieba") is not None


class Tokenizer:
    """Mixed Chinese/English tokenizer with its own jieba instance.

    Args:
        user_dict: path of a jieba user dictionary (``word [freq] [tag]`` per line) or a
            directory of such files (``*.txt``); ``None`` for none. The words load into
            this tokenizer's own segmenter (and its own ``jieba.Tokenizer``), never into
            the global one.
        hmm: let jieba find words missing from its dictionary with its HMM.
        backend: the word segmentation of Chinese runs: ``"rjieba"`` (jieba-rs: jieba's
            dictionary, DAG and HMM in Rust), ``"jieba"`` (jieba itself, pure Python) or
            ``"auto"`` (rjieba when installed, else jieba). They differ on 4 of the 12,554
            online_shopping_10_cats test reviews (20 of 55,000 reviews and requests in
            all), always in a run of one repeated character (赞赞赞赞赞: a tie between
            two segmentations, broken the other way).

    The dictionaries are loaded lazily, on the first call that needs them.
    """

    def __init__(
        self, user_dict: str | Path | None = None, hmm: bool = True, backend: str = "auto"
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if backend == "rjieba" and not _rjieba_available():
            raise ImportError("backend='rjieba' needs the rjieba package (pip install rjieba)")
        self.user_dict = Path(user_dict) if user_dict is not None else None
        self.hmm = hmm
        self.backend = backend
        self._jieba: Any = None
        self._segment: Callable[[str], Any] | None = None
        self._mixed_re: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        if self.user_dict is not None and not self.user_dict.exists():
            raise FileNotFoundError(f"jieba user dictionary not found: {self.user_dict}")

    @property
    def backend_name(self) -> str:
        """The segmentation actually used: ``"rjieba"`` or ``"jieba"``."""
        if self.backend == "auto":
            return "rjieba" if _rjieba_available() else "jieba"
        return self.backend

    # -- lazy initialisation -------------------------------------------------------------
    def _dict_files(self) -> list[Path]:
        if self.user_dict is None:
            return []
        if self.user_dict.is_dir():
            return sorted(p for p in self.user_dict.glob("*.txt") if p.is_file())
        return [self.user_dict]

    def _user_words(self) -> list[tuple[str, int | None, str | None]]:
        return [entry for path in self._dict_files() for entry in read_user_dict(path)]

    def _init(self) -> None:
        """Load the segmenter (and find the user dictionary's mixed-script words)."""
        with self._lock:
            if self._segment is not None:
                return
            entries = self._user_words()
            mixed = {w for w, _, _ in entries if CJK_RE.search(w) and not CJK_RUN_RE.fullmatch(w)}
            if mixed:
                # Longest first so that "蓝牙5.3耳机" wins over "蓝牙5.3".
                alternatives = "|".join(re.escape(w) for w in sorted(mixed, key=len)[::-1])
                self._mixed_re = re.compile(f"(?:{alternatives})", re.IGNORECASE)
            if self.backend_name == "rjieba":
                segment = load_rjieba(entries).tokenize
            else:
                segment = self._load_jieba(entries).tokenize
            self._segment = lambda run: segment(run, "default", self.hmm)

    def _load_jieba(self, entries: list[tuple[str, int | None, str | None]]) -> Any:
        if self._jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            instance = jieba.Tokenizer()
            instance.initialize()
            for word, freq, tag in entries:
                instance.add_word(word, freq, tag)
            self._jieba = instance
        return self._jieba

    @property
    def jieba(self):
        """This tokenizer's own ``jieba.Tokenizer`` with the user dictionary (loaded on
        first access; for jieba's part-of-speech tagging, whatever the backend)."""
        if self._jieba is None:
            with self._lock:
                self._load_jieba(self._user_words())
        return self._jieba

    def prepare(self) -> Tokenizer:
        """Load the segmenter, nltk's tokenizer and the stemmer now (before forking worker
        processes, say, so that they share them); return self."""
        if self._segment is None:
            self._init()
        _latin_tokenizer().tokenize("a")  # (nltk compiles its pattern on first use)
        _stemmer()
        return self

    # -- tokenisation --------------------------------------------------------------------
    def tokenize(self, text: str, segment_cjk: bool = True) -> list[Token]:
        """Split ``text`` into tokens with character offsets.

        Args:
            text: any string (empty, huge, mixed scripts, emoji, control characters).
            segment_cjk: cut runs of CJK characters into words with jieba; when False
                each run is one token (fast: for features that only need characters).

        Returns:
            Tokens in text order; ``text[t.start:t.end] == t.text`` for each; never a
            whitespace or control-character token.

        Raises:
            TypeError: when ``text`` is not a string.
        """
        text = _check_text(text)
        if not text or text.isspace():
            return []
        if (
            self._segment is None
            and (segment_cjk or self.user_dict is not None)  # (its mixed-script words)
            and CJK_RE.search(text)
        ):
            self._init()
        segment = self._segment if segment_cjk else None
        tokens: list[Token] = []
        append = tokens.append
        for start, end, whole in self._spans(text):
            if whole:
                append(_token((text[start:end], start, end)))
            elif CJK_RE.match(text, start):
                if segment is None:
                    append(_token((text[start:end], start, end)))
                    continue
                run = text[start:end]
                if _JIEBA_HAN_RE.fullmatch(run):
                    tokens.extend([_token((w, start + s, start + e)) for w, s, e in segment(run)])
                    continue
                pos = 0
                for m in _JIEBA_HAN_RE.finditer(run):
                    for i in range(pos, m.start()):  # one word per character, as jieba
                        append(_token((run[i], start + i, start + i + 1)))
                    at = start + m.start()
                    tokens.extend([_token((w, at + s, at + e)) for w, s, e in segment(m.group())])
                    pos = m.end()
                for i in range(pos, len(run)):
                    append(_token((run[i], start + i, start + i + 1)))
            else:
                tokens.extend(_latin_tokens(text, start, end))
        return tokens

    def words(self, text: str) -> list[str]:
        """The normalised forms (:func:`normalize`) of the tokens of ``text``."""
        return [normalize(t.text) for t in self.tokenize(text)]

    def _spans(self, text: str) -> Iterable[tuple[int, int, bool]]:
        """Yield ``(start, end, whole)``: protected spans (whole) and the chunks between
        them, the chunks further cut into CJK runs and other text."""
        protected: list[tuple[int, int]] = []
        if self._mixed_re is not None:
            protected.extend(m.span() for m in self._mixed_re.finditer(text))
        if _MAYBE_SPECIAL_RE.search(text):
            for m in _SPECIAL_RE.finditer(text):
                if m.lastgroup == "phone" and sum(c.isdigit() for c in m.group()) < 7:
                    continue
                protected.append(m.span())
        if not protected:
            yield from _cjk_split(text, 0, len(text))
            return
        protected.sort()
        pos = 0
        for start, end in protected:
            if start < pos:  # overlaps an earlier protected span
                continue
            yield from _cjk_split(text, pos, start)
            yield start, end, True
            pos = end
        yield from _cjk_split(text, pos, len(text))


def _cjk_split(text: str, start: int, end: int) -> Iterable[tuple[int, int, bool]]:
    pos = start
    for m in CJK_RUN_RE.finditer(text, start, end):
        if m.start() > pos:
            yield pos, m.start(), False
        yield m.start(), m.end(), False
        pos = m.end()
    if pos < end:
        yield pos, end, False


@lru_cache(maxsize=1)
def _latin_tokenizer():
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(_LATIN_PATTERN)


def _latin_tokens(text: str, start: int, end: int) -> list[Token]:
    chunk = text[start:end]
    if len(chunk) == 1:  # fast path: the punctuation between CJK runs
        if unicodedata.category(chunk) in _SKIP_CATEGORIES:
            return []
        return [_token((chunk, start, end))]
    word = chunk.strip()
    if not word:
        return []
    if word.isascii() and word.isalnum():  # fast path: one word or number ("iPhone", "618")
        start += chunk.index(word)
        return [_token((word, start, start + len(word)))]
    tokens = []
    for s, e in _latin_tokenizer().span_tokenize(chunk):
        word = chunk[s:e]
        if len(word) == 1 and unicodedata.category(word) in _SKIP_CATEGORIES:
            continue
        tokens.append(_token((word, start + s, start + e)))
    return tokens


DEFAULT_USER_DICT = Path(__file__).resolve().parents[1] / "data" / "jieba"

_default: Tokenizer | None = None
_default_lock = threading.Lock()


def default_tokenizer() -> Tokenizer:
    """The shared tokenizer loaded with the shipped user dictionary (``data/jieba/``)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                path = DEFAULT_USER_DICT if DEFAULT_USER_DICT.is_dir() else None
                _default = Tokenizer(user_dict=path)
    return _default


def tokenize(text: str) -> list[Token]:
    """Tokenize ``text`` with the shared default tokenizer (see :meth:`Tokenizer.tokenize`)."""
    return default_tokenizer().tokenize(text)
