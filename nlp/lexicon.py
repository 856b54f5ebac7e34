"""A tagged word list: which words of a message name something a shop sells (and which not).

A :class:`Lexicon` maps terms (Chinese, English or mixed; one or more words) to a tag such
as ``item`` (a product type: 枕头, rice cooker), ``brand``, ``category`` or ``not_sold``
(things no shop sells: a film, a lawyer, 股票). :meth:`Lexicon.find` scans a text for the
longest term at each position, so "购物车" (tagged ``ignore``) hides the ``车`` inside it and
"car seat" wins over "car". The intent classifier turns the tags found into features, so
that "recommend a pillow" and "recommend a lawyer" differ even when neither noun occurred
in its training examples.

The shipped lexicon lives in ``data/lexicon/<tag>.txt`` (one term per line, ``#`` starts a
comment); a shop's own product, brand and category names (the bot's lookup tables) are
added with :meth:`Lexicon.extended`.

Matching: NFKC and lower case; Latin terms match whole words only (an English plural
"pillows", "boxes", "batteries" also matches its singular), terms with Chinese characters
match anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from nlp.text import CJK_RE, EMAIL_PATTERN, URL_PATTERN

__all__ = ["DEFAULT_LEXICON_DIR", "IGNORE", "Lexicon", "default_lexicon"]

DEFAULT_LEXICON_DIR = Path(__file__).resolve().parents[1] / "data" / "lexicon"
# Terms with this tag are found (so that nothing shorter inside them is) but yield no tag.
IGNORE = "ignore"

_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['&\-][a-z0-9]+)*")
_TAG = re.compile(r"[a-z][a-z0-9_]*")
_MAX_WORDS = 4
# E-mail addresses and URLs are never words of the lexicon ("someone@example.com" is not
# a request for "someone"): they are blanked (same length) before matching.
_OPAQUE = re.compile(f"{EMAIL_PATTERN}|{URL_PATTERN}")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().replace("’", "'").split())


def _singulars(word: str) -> list[str]:
    """``word`` and the singulars it may be the plural of."""
    out = [word]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
        if word.endswith("es"):
            out.append(word[:-2])
        if word.endswith("ies"):
            out.append(word[:-3] + "y")
    return out


class Lexicon:
    """Terms grouped by tag, found in texts longest-first.

    Args:
        terms: ``{tag: terms}``; tags are lower-case identifiers. A term listed under two
            tags keeps the first tag in sorted tag order (``ignore`` always wins).

    Raises:
        TypeError: when a tag or a term is not a str.
        ValueError: when a tag is not an identifier.
    """

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        if not isinstance(terms, Mapping):
            raise TypeError(f"a lexicon is a mapping of tag to terms, got {terms!r:.80}")
        clean: dict[str, set[str]] = {}
        for tag, values in terms.items():
            if not isinstance(tag, str) or not _TAG.fullmatch(tag):
                raise ValueError(f"lexicon tags must be lower-case identifiers, got {tag!r}")
            if isinstance(values, str | bytes):
                raise TypeError(f"terms of {tag!r} must be a sequence of str, not a str")
            bucket = clean.setdefault(tag, set())
            for value in values:
                if not isinstance(value, str):
                    raise TypeError(f"a term of {tag!r} is not a str: {value!r:.80}")
                value = _norm(value)
                if value:
                    bucket.add(value)
        self.terms = {tag: sorted(values) for tag, values in sorted(clean.items())}
        order = sorted(self.terms, key=lambda t: (t != IGNORE, t))
        self._cjk: dict[str, str] = {}
        self._latin: dict[tuple[str, ...], str] = {}
        for tag in order:
            for term in self.terms[tag]:
                if CJK_RE.search(term):
                    self._cjk.setdefault(term, tag)
                else:
                    words = tuple(_LATIN_WORD.findall(term))
                    if words and len(words) <= _MAX_WORDS:
                        self._latin.setdefault(words, tag)
        self._cjk_first = frozenset(t[0] for t in self._cjk)
        self._cjk_max = max((len(t) for t in self._cjk), default=0)
        self.tags = tuple(t for t in self.terms if t != IGNORE)

    def __len__(self) -> int:
        return len(self._cjk) + len(self._latin)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexicon) and self.terms == other.terms

    def __repr__(self) -> str:
        sizes = ", ".join(f"{tag}: {len(v)}" for tag, v in self.terms.items())
        return f"Lexicon({sizes})"

    # -- building ------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | Path = DEFAULT_LEXICON_DIR) -> Lexicon:
        """Read ``<tag>.txt`` files (one term per line, ``#`` comments) from ``directory``.

        Raises:
            FileNotFoundError: when ``directory`` has no ``.txt`` file.
        """
        directory = Path(directory)
        files = sorted(directory.glob("*.txt"))
        if not files:
            raise FileNotFoundError(f"no lexicon files (*.txt) in {directory}")
        terms: dict[str, list[str]] = {}
        for path in files:
            lines = path.read_text(encoding="utf-8").splitlines()
            terms[path.stem] = [ln.split("#", 1)[0].strip() for ln in lines]
        return cls(terms)

    def extended(self, terms: Mapping[str, Iterable[str]]) -> Lexicon:
        """A new lexicon with ``terms`` (``{tag: terms}``) added to this one's."""
        merged = {tag: list(values) for tag, values in self.terms.items()}
        for tag, values in terms.items():
            merged.setdefault(tag, []).extend(values)
        return Lexicon(merged)

    def to_dict(self) -> dict[str, list[str]]:
        """``{tag: sorted terms}``: plain JSON data; ``Lexicon(lex.to_dict()) == lex``."""
        return {tag: list(values) for tag, values in self.terms.items()}

    # -- matching ------------------------------------------------------------------------
    def find(self, text: str) -> list[tuple[str, str]]:
        """``(term, tag)`` of each term in ``text``, left to right, longest match first.

        Terms tagged ``ignore`` are skipped over but not returned.

        Raises:
            TypeError: when ``text`` is not a str.
        """
        norm, spans = self.spans(text)
        return [(norm[start:end], tag) for start, end, tag in spans]

    def spans(self, text: str) -> tuple[str, list[tuple[int, int, str]]]:
        """The normalised ``text`` (NFKC, lower case, single spaces) and the
        ``(start, end, tag)`` of each term in it, as :meth:`find` finds them.

        Raises:
            TypeError: when ``text`` is not a str.
        """
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}: {text!r:.80}")
        norm = _norm(text)
        text = _OPAQUE.sub(lambda m: " " * len(m.group()), norm)
        found: list[tuple[int, int, str]] = []
        if self._cjk:
            i, n = 0, len(text)
            while i < n:
                if text[i] in self._cjk_first:
                    for size in range(min(self._cjk_max, n - i), 0, -1):
                        tag = self._cjk.get(text[i : i + size])
                        if tag is not None:
                            found.append((i, i + size, tag))
                            i += size
                            break
                    else:
                        i += 1
                else:
                    i += 1
        if self._latin:
            matches = list(_LATIN_WORD.finditer(text))
            words = [m.group() for m in matches]
            i = 0
            while i < len(words):
                for size in range(min(_MAX_WORDS, len(words) - i), 0, -1):
                    head = tuple(words[i : i + size - 1])
                    tag = None
                    for last in _singulars(words[i + size - 1]):
                        tag = self._latin.get((*head, last))
                        if tag is not None:
                            break
                    if tag is not None:
                        found.append((matches[i].start(), matches[i + size - 1].end(), tag))
                        i += size
                        break
                else:
                    i += 1
        found.sort()
        return norm, [span for span in found if span[2] != IGNORE]


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon (``data/lexicon/``), read once."""
    return Lexicon.load(DEFAULT_LEXICON_DIR)
