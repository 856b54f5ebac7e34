"""Rasa message tokenizer wrapping :class:`nlp.tokenize.Tokenizer`.

Unlike Rasa's ``JiebaTokenizer`` it uses its own jieba instance (no state shared with
other components or tests), never emits whitespace tokens on mixed text, keeps order
numbers, e-mails and phone numbers whole, and sets each token's ``lemma`` to its
normalised form (lower case, English stem), which Rasa's ``CountVectorsFeaturizer`` uses.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token as RasaToken
from rasa.nlu.tokenizers.tokenizer import Tokenizer as RasaTokenizer
from rasa.shared.nlu.training_data.message import Message

from nlp.tokenize import DEFAULT_USER_DICT, Tokenizer, normalize


@lru_cache(maxsize=8)
def _shared_tokenizer(path: str | None, hmm: bool, fingerprint: str | None) -> Tokenizer:
    """One tokenizer per (dictionary, version, hmm): Rasa creates the component for every
    graph it builds, and loading jieba's dictionary costs about a second each time."""
    return Tokenizer(user_dict=path, hmm=hmm)


def _user_dict_path(config: dict[str, Any]) -> Path | None:
    value = config.get("user_dict", "default")
    if value == "default":
        return DEFAULT_USER_DICT if DEFAULT_USER_DICT.is_dir() else None
    return Path(value) if value else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class KefuTokenizer(RasaTokenizer):
    """Mixed Chinese/English tokenizer with character offsets."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {
            # jieba user dictionary: a file or a directory of *.txt; "default" for the
            # shipped data/jieba/, null for none.
            "user_dict": "default",
            # let jieba guess words missing from its dictionary (HMM)
            "hmm": True,
            # Rasa's standard tokenizer options
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Chinese, English and mixed text."""
        return None

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages this component needs."""
        return ["jieba", "nltk"]

    def __init__(self, config: dict[str, Any]) -> None:
        """Create the tokenizer from the merged config."""
        config = {**self.get_default_config(), **config}
        super().__init__(config)
        path = _user_dict_path(config)
        self._tokenizer = _shared_tokenizer(
            str(path) if path else None, bool(config["hmm"]), self.fingerprint_addon(config)
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KefuTokenizer:
        """Create a new component (see Rasa's ``GraphComponent.create``)."""
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Fingerprint of the user dictionary, so that changing it re-runs training."""
        path = _user_dict_path({**cls.get_default_config(), **config})
        if path is None or not path.exists():
            return None
        files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
        digest = hashlib.sha256()
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
        return digest.hexdigest()

    def tokenize(self, message: Message, attribute: str) -> list[RasaToken]:
        """Tokens of ``message.get(attribute)`` with offsets and normalised lemmas.

        A text without any token (empty, whitespace, control characters) becomes a single
        token spanning the text, as Rasa's ``WhitespaceTokenizer`` does, since Rasa's
        featurizers expect at least one token.
        """
        text = message.get(attribute) or ""
        tokens = [
            RasaToken(t.text, t.start, t.end, lemma=normalize(t.text))
            for t in self._tokenizer.tokenize(text)
        ]
        if not tokens:
            tokens = [RasaToken(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
