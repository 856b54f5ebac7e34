"""Build and run the Rasa bot: lookup tables from the shop, fingerprinted training, server env.

* :func:`generate_lookups` writes the product, brand and category lookup tables the
  RegexEntityExtractor uses, from the shop database, under ``var/bot/`` (they depend on the
  shop's data, so they never go into the repository).
* :func:`train_bot` runs ``rasa train`` only when the bot (``bot/``), the NLP code
  (``nlp/``), the shipped data files (``data/``) or the lookups changed; otherwise it returns
  the model it trained last time, in well under a second.
* :func:`rasa_env` maps kefu's settings to the variables ``bot/endpoints.yml`` reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from kefu.settings import get_settings

logger = logging.getLogger(__name__)

MODEL_NAME = "kefu"
FINGERPRINT_FILE = "fingerprint.json"
LOOKUP_ENTITIES = ("product", "brand", "category")
# shipped inputs of the model: the fingerprint covers these trees (relative to the root)
FINGERPRINT_TREES = ("bot", "nlp", "data")
FINGERPRINT_SUFFIXES = (".py", ".yml", ".yaml", ".json", ".txt", ".csv", ".tsv", ".npz")
FINGERPRINT_SKIP_DIRS = ("__pycache__", "tests", "models", ".rasa", "faq", "demo")
# brand names that are everyday English words would match ordinary sentences
AMBIGUOUS_NAMES = frozenset({"keep", "camel", "warrior", "mercury", "penguin"})
TRAIN_TIMEOUT = 900
# Extra `rasa train` options. Its data check costs about a third of kefu's training time
# but tells someone who edited the bot's data what is wrong before it trains, so it stays
# (`rasa data validate --fail-on-warnings`, run by the tests, is stricter still).
TRAIN_OPTIONS: tuple[str, ...] = ()


class BotBuildError(RuntimeError):
    """The bot cannot be built (no shop database, rasa failed...)."""


def bot_dir() -> Path:
    """The Rasa project directory (``bot/``)."""
    return get_settings().root / "bot"


def lookups_path() -> Path:
    """Where :func:`generate_lookups` writes (``var/bot/lookups.yml``)."""
    return get_settings().var_dir / "bot" / "lookups.yml"


def _rasa_executable() -> str:
    candidate = Path(sys.executable).with_name("rasa")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("rasa")
    if not found:
        raise BotBuildError("the 'rasa' command is not installed in this environment")
    return found


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
    aliases: set[str] = set()
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
                        aliases.add(line[2:].strip())
    return aliases


def build_lookup_tables(url: str | None = None) -> dict[str, list[str]]:
    """Lookup values per entity (``product``, ``brand``, ``category``) from the shop database.

    Products: the product types customers write ("蓝牙耳机", "Bluetooth Earbuds"), found as
    name endings shared by several products of a category, plus each name without its brand.
    Brands: the brand and the Chinese brand prefix of the names. Categories: the keys, their
    display names, and the category synonyms of the NLU data.

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


def fingerprint(lookups: Path | None = None) -> str:
    """Hash of everything the trained model depends on (sources, data, lookups, rasa)."""
    root = get_settings().root
    digest = hashlib.sha256()
    for tree in FINGERPRINT_TREES:
        base = root / tree
        if not base.exists():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or path.suffix not in FINGERPRINT_SUFFIXES:
                continue
            if any(part in FINGERPRINT_SKIP_DIRS for part in rel.parts[1:-1]):
                continue
            digest.update(str(rel).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    if lookups is not None and lookups.exists():
        digest.update(b"lookups")
        digest.update(hashlib.sha256(lookups.read_bytes()).digest())
    try:
        from importlib.metadata import version

        digest.update(version("rasa").encode())
    except Exception:  # noqa: BLE001 - version unknown: the sources still count
        pass
    return digest.hexdigest()


def default_model_dir() -> Path:
    """Where trained bot models go (``var/models/bot``)."""
    return get_settings().models_dir / "bot"


def current_model(out_dir: Path | None = None) -> Path | None:
    """The model of the last successful :func:`train_bot` in ``out_dir``, if any."""
    out = Path(out_dir) if out_dir else default_model_dir()
    model = out / f"{MODEL_NAME}.tar.gz"
    return model if model.is_file() and (out / FINGERPRINT_FILE).is_file() else None


def train_bot(force: bool = False, out_dir: Path | None = None, url: str | None = None) -> Path:
    """Train the bot when its inputs changed; return the model archive.

    Args:
        force: train even when nothing changed.
        out_dir: where the model goes (default ``var/models/bot``).
        url: shop database for the lookup tables (default: the configured one).

    Returns:
        Path of ``kefu.tar.gz`` in ``out_dir``.

    Raises:
        BotBuildError: no shop database, or ``rasa train`` failed (its output is included).
    """
    out = Path(out_dir) if out_dir else default_model_dir()
    lookups = generate_lookups(url)
    stamp = fingerprint(lookups)
    model = out / f"{MODEL_NAME}.tar.gz"
    marker = out / FINGERPRINT_FILE
    if not force and model.is_file() and marker.is_file():
        try:
            if json.loads(marker.read_text()).get("fingerprint") == stamp:
                return model
        except (OSError, ValueError):
            pass
    out.mkdir(parents=True, exist_ok=True)
    root = get_settings().root
    with tempfile.TemporaryDirectory(dir=out, prefix=".train-") as work:
        cmd = [
            _rasa_executable(),
            "train",
            "--config",
            str(root / "bot" / "config.yml"),
            "--domain",
            str(root / "bot" / "domain"),
            "--data",
            str(root / "bot" / "data"),
            str(lookups),
            "--out",
            work,
            "--fixed-model-name",
            MODEL_NAME,
            *TRAIN_OPTIONS,
        ]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
        logger.info("training the bot: %s", " ".join(cmd))
        proc = subprocess.run(
            cmd,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TRAIN_TIMEOUT,
        )
        trained = Path(work) / f"{MODEL_NAME}.tar.gz"
        if proc.returncode != 0 or not trained.is_file():
            tail = "\n".join(proc.stdout.splitlines()[-40:])
            raise BotBuildError(f"rasa train failed (exit {proc.returncode}):\n{tail}")
        os.replace(trained, model)
    marker.write_text(json.dumps({"fingerprint": stamp, "model": model.name}))
    return model


def _redis_parts(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"KEFU_REDIS_URL must look like redis://host:6379/0, got {url!r}")
    db = (parts.path or "/1").lstrip("/") or "1"
    if not db.isdigit():
        raise ValueError(f"KEFU_REDIS_URL database must be a number, got {db!r}")
    return {
        "KEFU_LOCK_STORE": "redis",
        "KEFU_REDIS_HOST": parts.hostname,
        "KEFU_REDIS_PORT": str(parts.port or 6379),
        "KEFU_REDIS_DB": db,
        "KEFU_REDIS_PASSWORD": parts.password or "",
    }


def rasa_env(
    action_url: str = "http://127.0.0.1:5055/webhook", base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment for ``rasa run``/``rasa shell`` with ``bot/endpoints.yml``.

    Args:
        action_url: the action server's webhook URL.
        base: environment to extend (default: ``os.environ``).

    Raises:
        ValueError: when ``KEFU_REDIS_URL`` is malformed.
    """
    env = dict(os.environ if base is None else base)
    settings = get_settings()
    env["KEFU_ACTION_ENDPOINT"] = action_url
    env["KEFU_TRACKER_URL"] = settings.tracker_url
    env.setdefault("KEFU_VAR_DIR", str(settings.var_dir))
    env.setdefault("KEFU_DATABASE_URL", settings.database_url)
    redis_url = env.get("KEFU_REDIS_URL", "").strip()
    if redis_url:
        env.update(_redis_parts(redis_url))
    else:
        env.update(
            {
                "KEFU_LOCK_STORE": "in_memory",
                "KEFU_REDIS_HOST": "",
                "KEFU_REDIS_PORT": "6379",
                "KEFU_REDIS_DB": "1",
                "KEFU_REDIS_PASSWORD": "",
            }
        )
    if settings.tracker_url.startswith("sqlite:///"):
        Path(settings.tracker_url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def actions_command(port: int = 5055, host: str = "127.0.0.1") -> list[str]:
    """Command line of the action server: rasa_sdk behind kefu's action-call checks."""
    return [sys.executable, "-m", "actions.server", "--host", host, "--port", str(port)]


def server_command(model: Path, port: int = 5005, *, cors: str | None = None) -> list[str]:
    """Command line of the Rasa server (REST channel, endpoints from the environment)."""
    bot = bot_dir()
    cmd = [
        _rasa_executable(),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(bot / "endpoints.yml"),
        "--credentials",
        str(bot / "credentials.yml"),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
    ]
    if cors:
        cmd += ["--cors", cors]
    return cmd


def validate_command(lookups: Path) -> list[str]:
    """Command line of ``rasa data validate --fail-on-warnings`` on the bot and its lookups."""
    bot = bot_dir()
    return [
        _rasa_executable(),
        "data",
        "validate",
        "--fail-on-warnings",
        "--config",
        str(bot / "config.yml"),
        "--domain",
        str(bot / "domain"),
        "--data",
        str(bot / "data"),
        str(lookups),
    ]


def rasa_test_command(model: Path, out_dir: Path) -> list[str]:
    """Command line of the end-to-end story test (``bot/tests``), failing on any error."""
    return [
        _rasa_executable(),
        "test",
        "core",
        "--e2e",
        "--stories",
        str(bot_dir() / "tests"),
        "--model",
        str(model),
        "--fail-on-prediction-errors",
        "--no-plot",
        "--out",
        str(out_dir),
    ]


def shell_command(model: Path) -> list[str]:
    """Command line of ``rasa shell`` (an anonymous visitor: no token)."""
    bot = bot_dir()
    return [
        _rasa_executable(),
        "shell",
        "--model",
        str(model),
        "--endpoints",
        str(bot / "endpoints.yml"),
    ]


__all__ = [
    "TRAIN_OPTIONS",
    "BotBuildError",
    "actions_command",
    "build_lookup_tables",
    "current_model",
    "fingerprint",
    "generate_lookups",
    "rasa_env",
    "rasa_test_command",
    "server_command",
    "shell_command",
    "train_bot",
    "validate_command",
]
