"""``kefu train``: (re)train every model that is missing or stale.

Models: the sentiment and intent models (``nlp``), the recommender (``recsys``) and the
Rasa bot (``bot/``). Each trainer compares what it was trained on with what is there now
and skips when nothing changed, so a second run takes seconds; ``--force`` retrains.
"""

from __future__ import annotations

import argparse
import time

PARTS = ("nlp", "recsys", "bot")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu train``."""
    p = subparsers.add_parser("train", help="train the models that are missing or stale")
    p.add_argument("--only", choices=PARTS, action="append", help="train only this part")
    p.add_argument("--force", action="store_true", help="retrain even when up to date")
    p.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="train the recommender on this machine (default) or on Spark",
    )
    p.add_argument("--master", help="Spark master URL (default local[2]; with --engine spark)")
    p.add_argument(
        "--interactions",
        metavar="PATH_OR_URI",
        help="Parquet/CSV interaction log for the recommender instead of the shop database "
        "(with --engine spark)",
    )
    p.add_argument(
        "--spark-model",
        choices=("similarity", "als"),
        default="similarity",
        help="with --engine spark: the local engine's neighbour tables, or MLlib implicit ALS",
    )
    p.set_defaults(func=cmd_train)


def train(
    parts: tuple[str, ...] = PARTS,
    force: bool = False,
    engine: str = "local",
    spark: dict[str, str | None] | None = None,
) -> dict[str, str]:
    """Train the named parts in order; returns what each did.

    ``engine="spark"`` trains the recommender with :func:`kefu.recsys_spark.train_on_spark`
    (``spark``: its ``master``, ``interactions`` and ``model`` arguments).
    """
    from kefu.cli import CommandError
    from kefu.settings import get_settings
    from kefu.shop.db import is_initialised

    spark = spark or {}
    for option in ("interactions", "master"):
        if spark.get(option) and engine != "spark":
            raise CommandError(f"--{option} needs --engine spark")
    needs_db = "bot" in parts or ("recsys" in parts and not spark.get("interactions"))
    if needs_db and not is_initialised(get_settings().database_url):
        raise CommandError("the shop database is not initialised: run 'kefu db demo' first")
    done = {}
    for part in PARTS:
        if part not in parts:
            continue
        start = time.perf_counter()
        print(f"[{part}] training...", flush=True)
        if part == "nlp":
            from kefu.nlp_models import train_all

            result = "; ".join(
                f"{name} {info.get('status')}"
                + (f" ({info['reason']})" if "reason" in info else "")
                for name, info in train_all(force=force).items()
            )
        elif part == "recsys" and engine == "spark":
            from kefu.recsys_spark import train_on_spark
            from recsys.spark import SparkUnavailableError

            try:
                result = train_on_spark(
                    master=spark.get("master"),
                    interactions=spark.get("interactions"),
                    model=spark.get("model") or "similarity",
                    force=force,
                )
            except (SparkUnavailableError, ValueError) as exc:
                # no Java, a path Spark cannot read (SparkPathError), a malformed log
                raise CommandError(f"cannot train on Spark: {exc}") from exc
        elif part == "recsys":
            from kefu.recommender import train_from_db

            result = train_from_db(force=force)
        else:
            from kefu.bot import train_bot

            result = f"model {train_bot(force=force)}"
        done[part] = str(result)
        print(f"[{part}] {result} ({time.perf_counter() - start:.1f} s)", flush=True)
    return done


def cmd_train(args: argparse.Namespace) -> int:
    spark = {"master": args.master, "interactions": args.interactions, "model": args.spark_model}
    train(tuple(args.only or PARTS), force=args.force, engine=args.engine, spark=spark)
    return 0
