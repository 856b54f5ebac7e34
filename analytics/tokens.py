"""One tokenization per text for every model of the texts analysis."""

from __future__ import annotations

__all__ = ["SharedTokens", "share_tokenizer"]


class SharedTokens:
    """A tokenizer that remembers the tokens of the texts of the current chunk, so that
    the sentiment model, the intent model and the keyword extractor tokenize each text
    once. :meth:`clear` after each chunk keeps memory bounded.
    """

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.cache: dict[tuple[str, bool], list] = {}

    @property
    def jieba(self):
        """The tokenizer's jieba segmenter."""
        return self.tokenizer.jieba

    def prepare(self) -> SharedTokens:
        """Load the tokenizer's segmenter now (before forking); return self."""
        self.tokenizer.prepare()
        return self

    def tokenize(self, text: str, segment_cjk: bool = True) -> list:
        """:meth:`nlp.tokenize.Tokenizer.tokenize`, remembered for the current chunk."""
        key = (text, segment_cjk)
        tokens = self.cache.get(key)
        if tokens is None:
            tokens = self.cache[key] = self.tokenizer.tokenize(text, segment_cjk=segment_cjk)
        return tokens

    def words(self, text: str) -> list[str]:
        """:meth:`nlp.tokenize.Tokenizer.words` (not remembered)."""
        return self.tokenizer.words(text)

    def clear(self) -> None:
        """Forget the tokens of the chunk."""
        self.cache.clear()


def share_tokenizer(model, tokens: SharedTokens) -> None:
    """Make a fitted model's vectorizer tokenize through ``tokens``."""
    vectorizer = getattr(model, "vectorizer_", None)
    if vectorizer is not None and hasattr(vectorizer, "tokenizer"):
        vectorizer.tokenizer = tokens
