"""Lookup tables of the bot (products, brands, categories), generated from the shop database.

They depend on the shop's data, so they are written under ``var/bot/`` and never go into the
repository; the RegexEntityExtractor of ``bot/config.yml`` reads them.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from pathlib import Path

import yaml

from kefu.bot.project import BotBuildError, lookups_path
from kefu.settings import get_settings
from nlp.constraints import Vocabulary

logger = logging.getLogger(__name__)

LOOKUP_ENTITIES = ("product", "brand", "category")
# brand names that are everyday English words would match ordinary sentences
AMBIGUOUS_NAMES = frozenset({"keep", "camel", "warrior", "mercury", "penguin"})
# ...but a product question names them as brands ("any from Camel?"): the product parser
# reads all but these
PARSER_SKIPS_BRANDS = frozenset({"keep"})
# a Chinese product word that is a measure word plus a product type ("款T恤") is no type
_MEASURE_WORDS = frozenset("款个件双只台套条支瓶盒的些")


def _common_suffixes(names: list[str], min_len: int) -> set[str]:
    """Suffixes (of at least ``min_len``) shared by two or more distinct names."""
    counts: dict[str, set[str]] = defaultdict(set)
    for name in set(names):
        for i in range(len(name) - min_len + 1):
            counts[name[i:]].add(name)
    return {s.strip() for s, owners in counts.items() if len(owners) >= 2 and s.strip()}


def _after_common_prefixes(names: list[str], split_words: bool) -> set[str]:
    """What follows a prefix shared by two or more names ("轻薄" + "蓝牙耳机")."""
    units = [name.split() if split_words else list(name) for name in set(names)]
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for u in units:
        for i in range(1, len(u)):
            counts[tuple(u[:i])] += 1
    out = set()
    for u in units:
        for i in range(1, len(u)):
            if counts[tuple(u[:i])] >= 2:
                rest = (" " if split_words else "").join(u[i:])
                if len(rest) >= 2:
                    out.add(rest)
    return out


def _word_suffixes(names: list[str]) -> set[str]:
    counts: dict[str, set[str]] = defaultdict(set)
    for name in set(names):
        words = name.split()
        for i in range(len(words)):
            counts[" ".join(words[i:])].add(name)
    return {s for s, owners in counts.items() if len(owners) >= 2}


def _strip_editions(parts_by_category: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    """Drop trailing words (editions like "Pro", "Gen 2") shared by several categories."""
    rows_by_cat = {cat: [list(words) for words in rows] for cat, rows in parts_by_category.items()}
    for _ in range(3):  # "Gen 2": "2" goes first, then "Gen"
        ends: dict[str, set[str]] = defaultdict(set)
        for cat, rows in rows_by_cat.items():
            for words in rows:
                if len(words) > 1:
                    ends[words[-1].lower()].add(cat)
        common = {w for w, cats in ends.items() if len(cats) >= 3}
        for rows in rows_by_cat.values():
            for words in rows:
                while len(words) > 1 and words[-1].lower() in common:
                    words.pop()
    return {cat: [" ".join(words) for words in rows] for cat, rows in rows_by_cat.items()}


def _category_aliases(root: Path, keys: set[str]) -> set[str]:
    """Category words from the synonyms of ``bot/data/nlu/*.yml`` that map to ``keys``."""
    return set(_category_alias_keys(root, keys))


def _category_alias_keys(root: Path, keys: set[str]) -> dict[str, str]:
    """``{alias: category key}`` from the synonyms of ``bot/data/nlu/*.yml``."""
    aliases: dict[str, str] = {}
    for path in sorted((root / "bot" / "data").rglob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        for item in data.get("nlu") or [] if isinstance(data, dict) else []:
            if isinstance(item, dict) and item.get("synonym") in keys:
                examples = item.get("examples") or ""
                for line in str(examples).splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        aliases.setdefault(line[2:].strip(), item["synonym"])
    return aliases


def _catalogue_rows(url: str | None) -> list[tuple[str, str, str, str]]:
    """``(name_zh, name_en, brand, category)`` of every product.

    Raises:
        BotBuildError: when the shop database is missing or has no products.
    """
    from sqlalchemy import select

    from kefu.shop.db import get_engine, is_initialised
    from kefu.shop.models import Product

    url = url or get_settings().database_url
    if not is_initialised(url):
        raise BotBuildError("the shop database is not initialised: run 'kefu db demo' first")
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            select(Product.name_zh, Product.name_en, Product.brand, Product.category)
        ).all()
    if not rows:
        raise BotBuildError("the shop database has no products: import or build a catalogue")
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def build_vocabulary(url: str | None = None) -> Vocabulary:
    """The shop's vocabulary for :class:`nlp.constraints.ConstraintParser`.

    Product types are the product lookup table; brands map each name customers write (the
    brand, the Chinese brand prefix of the names) to the brand of the catalogue; categories
    map the keys, their display names and the NLU synonyms to the category key.

    Raises:
        BotBuildError: when the shop database is missing or has no products.
    """
    rows = _catalogue_rows(url)
    tables = build_lookup_tables(url, rows=rows)
    kept_brands = {b.casefold() for b in tables["brand"]}
    kept_brands |= {b for b in AMBIGUOUS_NAMES if b not in PARSER_SKIPS_BRANDS}
    brands: dict[str, str] = {}
    for name_zh, _name_en, brand, _category in rows:
        for written in (brand.strip(), *name_zh.split()[:1]):
            if written.casefold() in kept_brands:
                brands.setdefault(written, brand.strip())
    keys = {r[3] for r in rows}
    categories = {key: key for key in keys}
    try:
        from kefu.shop.demo import category_labels

        for key, names in category_labels().items():
            if key in keys:
                categories.update({name: key for name in names.values()})
    except (OSError, KeyError, ValueError):
        logger.info("no category display names found: using the keys and synonyms only")
    for alias, key in _category_alias_keys(get_settings().root, keys).items():
        categories.setdefault(alias, key)
    products = {*tables["product"], *_generic_product_words()}
    folded = {p.casefold() for p in products}
    products = {p for p in products if not (p[:1] in _MEASURE_WORDS and p[1:].casefold() in folded)}
    return Vocabulary(
        products=tuple(sorted(products)),
        brands=brands,
        categories=categories,
    )


def _generic_product_words() -> set[str]:
    """Product types customers write that no product name needs to share: the shipped
    lexicon's items (耳机, kettle) and the demo catalogue's nouns with their English head
    words ("Bluetooth Earbuds": "earbuds")."""
    from nlp.lexicon import default_lexicon

    words = set(default_lexicon().terms.get("item", []))
    try:
        from kefu.shop.demo import load_vocab

        catalog, _ = load_vocab(str(get_settings().data_dir))
        for category in catalog["categories"].values():
            for zh, en in category["nouns"]:
                words |= {zh, en}
                head = en.split()[-1]
                if len(head) >= 4 and " " in en:
                    words.add(head)
    except (OSError, KeyError, ValueError):
        logger.info("no demo catalogue found: product types from the shop's names only")
    return words


def build_lookup_tables(
    url: str | None = None, rows: list[tuple[str, str, str, str]] | None = None
) -> dict[str, list[str]]:
    """Lookup values per entity (``product``, ``brand``, ``category``) from the shop database.

    Products: the product types customers write ("蓝牙耳机", "Bluetooth Earbuds"), found as
    name endings shared by several products of a category, plus each name without its brand.
    Brands: the brand and the Chinese brand prefix of the names. Categories: the keys, their
    display names, and the category synonyms of the NLU data.

    Raises:
        BotBuildError: when the shop database is missing or has no products.
    """
    rows = rows if rows is not None else _catalogue_rows(url)
    brands: set[str] = set()
    zh_models: dict[str, list[str]] = defaultdict(list)
    en_words: dict[str, list[list[str]]] = defaultdict(list)
    for name_zh, name_en, brand, category in rows:
        brands.add(brand.strip())
        zh_parts = name_zh.split()
        if len(zh_parts) >= 2:
            brands.add(zh_parts[0])
            zh_models[category].append(zh_parts[1])
        en = name_en.strip()
        if en.lower().startswith(brand.lower() + " "):
            en = en[len(brand) + 1 :]
        en_words[category].append(en.split())

    products: set[str] = set()
    for models in zh_models.values():
        products |= {s for s in _common_suffixes(models, 2) if len(s) <= 12}
        products |= _after_common_prefixes(models, split_words=False)
    for models in _strip_editions(en_words).values():
        # without word boundaries a short English word would match inside others
        # ("set" in "reset"): keep several words, or one long word
        candidates = _word_suffixes(models) | _after_common_prefixes(models, split_words=True)
        products |= {s for s in candidates if " " in s or len(s) >= 5}
        products |= {m for m in models if m}
    products |= {m for models in zh_models.values() for m in models}

    keys = {r[3] for r in rows}
    categories = set(keys)
    try:
        from kefu.shop.demo import category_labels

        for key, names in category_labels().items():
            if key in keys:
                categories |= set(names.values())
    except (OSError, KeyError, ValueError):
        logger.info("no category display names found: using the keys and synonyms only")
    categories |= _category_aliases(get_settings().root, keys)

    def clean(values: set[str]) -> list[str]:
        out = {v.strip() for v in values if v and v.strip()}
        out = {v for v in out if v.lower() not in AMBIGUOUS_NAMES and len(v) >= 2}
        # a short Latin name ("ASD") would match inside other words ("asdf")
        out = {v for v in out if not (v.isascii() and " " not in v and len(v) < 4)}
        return sorted(out, key=lambda v: (-len(v), v))

    return {"product": clean(products), "brand": clean(brands), "category": clean(categories)}


def generate_lookups(url: str | None = None) -> Path:
    """Write the lookup tables of the shop to ``var/bot/lookups.yml`` and return the path.

    The file is only rewritten when its content changes, so its timestamp tells when the
    shop's catalogue last changed what the bot can recognise.
    """
    tables = build_lookup_tables(url)
    lines = [
        'version: "3.1"',
        "# Generated by kefu.bot.generate_lookups from the shop database: do not edit.",
        "nlu:",
    ]
    for entity in LOOKUP_ENTITIES:
        lines.append(f"- lookup: {entity}")
        lines.append("  examples: |")
        lines += [f"    - {value}" for value in tables[entity]]
    content = "\n".join(lines) + "\n"
    path = lookups_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != content:
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    return path
