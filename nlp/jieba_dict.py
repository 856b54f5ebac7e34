"""jieba's dictionaries: user dictionaries in jieba's line format, the frequencies of
jieba's main dictionary, and an ``rjieba`` (jieba-rs) instance kept in step with jieba."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

__all__ = ["jieba_dictionary_freqs", "load_rjieba", "read_user_dict"]

_USER_DICT_LINE = re.compile(r"^(.+?)(?: ([0-9]+))?(?: ([a-z]+))?$")


def read_user_dict(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Entries ``(word, freq, tag)`` of a jieba user dictionary (jieba's line format;
    blank lines and ``#`` comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read jieba user dictionary {path}: {exc}") from exc
    entries = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _USER_DICT_LINE.match(line)
        if match is None:  # the pattern accepts any non-empty line
            continue
        word, freq, tag = match.groups()
        entries.append((word, int(freq) if freq else None, tag))
    return entries


# A "word" no text reaches (our runs hold only jieba's ideographs): see load_rjieba.
_TOTAL_PAD = "\ue000\ue001"


def load_rjieba(entries: list[tuple[str, int | None, str | None]]):
    """An ``rjieba.Jieba`` with the user dictionary ``entries``, in step with jieba.

    Both add a new word's frequency to the dictionary's total, but for a word already
    in the dictionary jieba keeps adding while jieba-rs replaces (subtracting the old
    frequency), and the total weighs every path through a sentence. A padding word that
    never occurs in text holds the difference, so the totals stay equal.
    """
    import rjieba

    instance = rjieba.Jieba()
    if not entries:
        return instance
    in_dictionary = jieba_dictionary_freqs({word for word, _, _ in entries})
    added: dict[str, int] = {}
    pad = 0
    for word, freq, tag in entries:
        previous = added.get(word, in_dictionary.get(word))
        added[word] = instance.add_word(word, freq, tag)
        if previous is not None:
            pad += previous
            instance.add_word(_TOTAL_PAD, pad, None)
    return instance


def jieba_dictionary_freqs(words: set[str]) -> dict[str, int]:
    """The frequencies of those of ``words`` that jieba's main dictionary has."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "dict.txt"
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    wanted = {w.encode("utf-8") for w in words}
    found = {}
    for line in data.split(b"\n"):
        word, _, rest = line.partition(b" ")
        if word in wanted:
            found[word.decode("utf-8")] = int(rest.split(b" ", 1)[0])
    return found
