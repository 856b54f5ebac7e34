"""Checks on the hand-written NLU training data in ``bot/data/nlu/``.

The files are parsed with Rasa's own loader, so a syntax slip (a broken
``[text](entity)`` annotation, a bad YAML block) fails here the same way it
would fail ``rasa train``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import read_yaml_file

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "bot" / "data" / "nlu"
CATALOG = ROOT / "data" / "demo" / "catalog.json"

LANGUAGES = ("zh", "en")
REQUIRED_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "order_status",
    "shipping_info",
    "cancel_order",
    "return_request",
    "refund_status",
    "product_search",
    "recommend",
    "payment_methods",
    "account_help",
    "complaint",
    "human_handoff",
    "inform",
    "out_of_scope",
    "csat_score",
)
MIN_EXAMPLES = 40
ENTITIES = frozenset(
    {"order_id", "email", "phone", "product", "brand", "category", "price", "return_reason"}
)
# Entities extracted by a regex of the same name: every occurrence in an example must be
# annotated, and every annotation must be exactly what the regex finds.
REGEX_ENTITIES = ("order_id", "email", "phone", "price")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Characters an English example may hold besides ASCII (currency signs).
EN_EXTRA_CHARS = frozenset("¥￥£€")
TRAILING_PUNCT = "?!.。！？~～ "


@cache
def _load(name: str) -> TrainingData:
    return load_data(str(NLU_DIR / f"{name}.yml"))


def _examples(lang: str) -> list:
    return _load(lang).intent_examples


@cache
def _catalog() -> dict:
    return json.loads(CATALOG.read_text(encoding="utf-8"))["categories"]


@cache
def _patterns() -> dict[str, list[str]]:
    patterns: dict[str, list[str]] = defaultdict(list)
    for feature in _load("regex").regex_features:
        patterns[feature["name"]].append(feature["pattern"])
    return dict(patterns)


def _find(entity: str, text: str, flags: int = re.IGNORECASE) -> set[tuple[int, int]]:
    """Spans of ``text`` matched by the regexes named ``entity`` (as RegexEntityExtractor does)."""
    return {
        match.span()
        for pattern in _patterns()[entity]
        for match in re.finditer(pattern, text, flags=flags)
    }


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split()).strip(TRAILING_PUNCT)


def _noun_key(text: str) -> str:
    """Case- and plural-insensitive form of a product noun ("Power Banks" -> "power bank")."""
    text = " ".join(text.casefold().split())
    return text[:-1] if text.endswith("s") else text


def test_regex_file_defines_the_extractor_patterns():
    patterns = _patterns()
    for entity in REGEX_ENTITIES:
        assert patterns.get(entity), f"regex.yml has no regex named {entity!r}"
        for pattern in patterns[entity]:
            re.compile(pattern)
    assert not _load("regex").intent_examples, "regex.yml should hold no intent examples"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_intent_has_enough_examples(lang):
    counts: dict[str, int] = defaultdict(int)
    for message in _examples(lang):
        counts[message.get("intent")] += 1
    unknown = set(counts) - set(REQUIRED_INTENTS)
    assert not unknown, f"{lang}.yml has intents outside the bot's list: {sorted(unknown)}"
    short = {i: counts[i] for i in REQUIRED_INTENTS if counts[i] < MIN_EXAMPLES}
    assert not short, f"{lang}.yml intents with fewer than {MIN_EXAMPLES} examples: {short}"


def test_chinese_examples_contain_chinese():
    offenders = [m.get("text") for m in _examples("zh") if not CJK.search(m.get("text"))]
    assert not offenders, f"zh.yml examples without Chinese characters: {offenders}"


def test_english_examples_are_english():
    offenders = [
        m.get("text")
        for m in _examples("en")
        if not re.search(r"[A-Za-z0-9]", m.get("text"))
        or any(ord(c) > 127 and c not in EN_EXTRA_CHARS for c in m.get("text"))
    ]
    assert not offenders, f"en.yml examples that are not plain English: {offenders}"


def test_no_example_is_repeated_or_labelled_twice():
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for lang in LANGUAGES:
        for message in _examples(lang):
            seen[_normalise(message.get("text"))].append((lang, message.get("intent")))
    repeated = {text: where for text, where in seen.items() if len(where) > 1}
    assert not repeated, f"examples written more than once (conflicts or padding): {repeated}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_entity_annotations_line_up(lang):
    synonyms = _load("regex").entity_synonyms
    problems = []
    for message in _examples(lang):
        text = message.get("text")
        if "[" in text or "]" in text or "](" in text:
            problems.append(f"unparsed annotation in {text!r}")
        for entity in message.get("entities") or []:
            span = text[entity["start"] : entity["end"]]
            value = entity["value"]
            if entity["entity"] not in ENTITIES:
                problems.append(f"unknown entity {entity['entity']!r} in {text!r}")
            if not span or span != span.strip():
                problems.append(f"empty or padded span {span!r} in {text!r}")
            if span != value and synonyms.get(span.casefold()) != value:
                problems.append(f"{span!r} annotated as {value!r} in {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_regexes_find_exactly_the_annotated_spans(lang):
    problems = []
    for message in _examples(lang):
        text = message.get("text")
        for name in REGEX_ENTITIES:
            annotated = {
                (e["start"], e["end"]) for e in message.get("entities") or [] if e["entity"] == name
            }
            # Both with and without the extractor's default IGNORECASE flag.
            for flags in (re.IGNORECASE, 0):
                found = _find(name, text, flags)
                if found != annotated:
                    shown = sorted(text[s:e] for s, e in found ^ annotated)
                    problems.append(f"{name} in {text!r}: regex and annotation differ on {shown}")
    assert not problems, "\n".join(problems)


def test_category_synonyms_cover_the_catalogue():
    categories = _catalog()
    raw = read_yaml_file(str(NLU_DIR / "regex.yml"))
    owners: dict[str, list[str]] = defaultdict(list)
    keys = set()
    for item in raw["nlu"]:
        if "synonym" in item:
            keys.add(item["synonym"])
            for line in item["examples"].splitlines():
                alias = line.strip().removeprefix("- ").strip().casefold()
                if alias:
                    owners[alias].append(item["synonym"])
    assert keys == set(categories), "synonym keys must be the catalogue's category keys"
    clashes = {alias: keys for alias, keys in owners.items() if len(keys) > 1 or alias in keys}
    assert not clashes, f"aliases mapped to several keys (or to themselves): {clashes}"
    for key, category in categories.items():
        for name in (category["zh"], category["en"]):
            name = name.casefold()
            assert name == key or owners.get(name) == [key], f"{name!r} does not map to {key!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_category_annotations_resolve_to_catalogue_keys(lang):
    synonyms = _load("regex").entity_synonyms
    keys = set(_catalog())
    unresolved = []
    for message in _examples(lang):
        for entity in message.get("entities") or []:
            if entity["entity"] == "category":
                value = entity["value"].casefold()
                if synonyms.get(value, value) not in keys:
                    unresolved.append((entity["value"], message.get("text")))
    assert not unresolved, f"category words without a synonym to a catalogue key: {unresolved}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_products_and_brands_are_the_catalogues(lang):
    categories = _catalog().values()
    nouns = {_noun_key(n) for c in categories for pair in c["nouns"] for n in pair}
    brands = {b.casefold() for c in categories for pair in c["brands"] for b in pair}
    strangers = []
    for message in _examples(lang):
        for entity in message.get("entities") or []:
            if entity["entity"] == "product" and _noun_key(entity["value"]) not in nouns:
                strangers.append(("product", entity["value"]))
            if entity["entity"] == "brand" and entity["value"].casefold() not in brands:
                strangers.append(("brand", entity["value"]))
    assert not strangers, f"products/brands not in data/demo/catalog.json: {strangers}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entity_is_annotated_somewhere(lang):
    used = {e["entity"] for m in _examples(lang) for e in m.get("entities") or []}
    assert used == ENTITIES


POSITIVES = {
    "order_id": [
        ("KF10000123", "KF10000123"),
        ("kf10000123", "kf10000123"),
        ("我的KF20481736到哪了", "KF20481736"),
        ("order Kf10550812, thanks", "Kf10550812"),
        ("单号:KF99999999。", "KF99999999"),
    ],
    "email": [
        ("zhangwei@qq.com", "zhangwei@qq.com"),
        ("我的邮箱是li.na88@163.com谢谢", "li.na88@163.com"),
        ("mail me at tom99@hotmail.co.uk.", "tom99@hotmail.co.uk"),
        ("a_b+shop@mail-box.example.org", "a_b+shop@mail-box.example.org"),
    ],
    "phone": [
        ("13812345678", "13812345678"),
        ("手机19912345678收不到验证码", "19912345678"),
        ("电话 138 1234 5678", "138 1234 5678"),
        ("138-1234-5678", "138-1234-5678"),
        ("+86 138 0013 8000", "+86 138 0013 8000"),
        ("call +44 7700 900123 please", "+44 7700 900123"),
        ("+6591234567", "+6591234567"),
        ("+1 415-555-0132", "+1 415-555-0132"),
    ],
    "price": [
        ("200块以内的耳机", "200块"),
        ("100到300元的", "100到300元"),
        ("under $50", "$50"),
        ("between $100 and $300", "$100 and $300"),
        ("about 99.9 rmb", "99.9 rmb"),
        ("￥59的那个", "￥59"),
        ("around 50 dollars", "50 dollars"),
    ],
}
NEGATIVES = {
    "order_id": [
        "KF1000012",
        "KF100001234",
        "XKF10000123",
        "KA10000123",
        "10000123",
        "KF 10000123",
    ],
    "email": ["zhangwei@qq", "@qq.com", "zhangwei at qq dot com", "KF10000123"],
    "phone": [
        "12812345678",
        "138123456789",
        "1381234567",
        "KF13812345",
        "SF13812345678",
        "KF10000123",
        "+33 6 12 34 56 78",
        "下单三天了",
    ],
    "price": ["给5分", "42码", "5 stars", "KF10000123", "618买什么划算", "wait 7 days", "item 2"],
}


@pytest.mark.parametrize(
    ("entity", "text", "expected"),
    [(entity, text, expected) for entity, cases in POSITIVES.items() for text, expected in cases],
)
def test_regex_matches_positive_examples(entity, text, expected):
    assert [text[s:e] for s, e in sorted(_find(entity, text))] == [expected]


@pytest.mark.parametrize(
    ("entity", "text"), [(entity, text) for entity, texts in NEGATIVES.items() for text in texts]
)
def test_regex_rejects_negative_examples(entity, text):
    assert _find(entity, text) == set()


@pytest.mark.parametrize(
    "phone",
    [
        "13311958331",
        "+86 138 1234 5678",
        "+852 69191444",  # the demo shop's customers abroad: +852, +65, +44, +1
        "+852 6919 1444",
        "+65 91598392",
        "+44 7123456",
        "+1 4154500538",
        "+61 412 345 678",
        "07700 900782",
    ],
)
def test_phone_regex_finds_local_and_international_numbers(phone):
    for text in (f"my number is {phone}", f"手机{phone}谢谢", phone):
        start = text.index(phone)
        assert _find("phone", text) == {(start, start + len(phone))}, text


@pytest.mark.parametrize(
    "text",
    ["KF12345678", "order kf10000123", "$300", "预算300-500块", "2024-05-01", "5", "1234567"],
)
def test_phone_regex_ignores_order_numbers_prices_and_dates(text):
    assert not _find("phone", text)
