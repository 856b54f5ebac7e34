"""``kefu db init|upgrade|revision|demo|import|export|info`` and the ``kefu import`` shortcut."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from kefu.settings import get_settings, redact_url


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu db`` and ``kefu import``."""
    db = subparsers.add_parser("db", help="create, fill, import and export the shop database")
    sub = db.add_subparsers(title="db commands", metavar="ACTION", required=True)

    p = sub.add_parser("init", help="create the shop tables (keeps existing data)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "upgrade", help="migrate the shop database to the newest schema (keeps its data)"
    )
    p.add_argument("--revision", default="head", help="target revision (default: head)")
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser(
        "revision", help="write a new migration from the model changes (for developers)"
    )
    p.add_argument("-m", "--message", required=True, help="what the migration does")
    p.add_argument("--empty", action="store_true", help="an empty script, to write by hand")
    p.set_defaults(func=cmd_revision)

    p = sub.add_parser("demo", help="build the demo shop (deterministic, seeded)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--date", type=date.fromisoformat, help="the shop's 'today' (YYYY-MM-DD)")
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--order-lines", type=int, default=20000)
    p.add_argument("--reviews", type=int, default=5000)
    p.add_argument("--if-missing", action="store_true", help="do nothing when data exists")
    p.add_argument("--force", action="store_true", help="replace a database that has data")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help="import a shop's own CSV exports (all or nothing)")
    _import_args(p)

    p = sub.add_parser("export", help="export products, customers, orders, reviews as CSV")
    p.add_argument("directory", type=Path, help="where to write the CSV files")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("info", help="show the database URL and row counts")
    p.set_defaults(func=cmd_info)

    _import_args(subparsers.add_parser("import", help="same as 'kefu db import'"))


def _import_args(p: argparse.ArgumentParser) -> None:
    for kind in ("products", "customers", "orders", "reviews"):
        p.add_argument(f"--{kind}", type=Path, metavar="CSV", help=f"{kind} file")
    p.set_defaults(func=cmd_import)


def _counts(url: str) -> dict[str, int] | None:
    from kefu.shop.db import get_engine, is_initialised
    from kefu.shop.writer import count_rows

    if not is_initialised(url):
        return None
    with get_engine(url).connect() as conn:
        return count_rows(conn)


def upgrade_or_fail(url: str, revision: str = "head") -> str | None:
    """Migrate the database; a migration problem becomes a clear command error."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.cli import CommandError
    from kefu.shop.db import DatabaseError, upgrade_db

    try:
        return upgrade_db(url, revision)
    except (DatabaseError, SQLAlchemyError) as exc:
        raise CommandError(f"cannot migrate {redact_url(url)}: {exc}") from exc


def cmd_init(args: argparse.Namespace) -> int:
    url = get_settings().database_url
    get_settings().ensure_var()
    revision = upgrade_or_fail(url)
    print(f"shop tables ready in {redact_url(url)} (schema revision {revision})")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    url = get_settings().database_url
    get_settings().ensure_var()
    revision = upgrade_or_fail(url, args.revision)
    print(f"{redact_url(url)} is at schema revision {revision}")
    return 0


def cmd_revision(args: argparse.Namespace) -> int:
    from kefu.shop.migrate import new_revision

    path = new_revision(args.message, autogenerate=not args.empty)
    print(f"new migration: {path}\nreview it, then run 'kefu db upgrade'")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kefu.cli import CommandError
    from kefu.shop.demo import build_demo

    settings = get_settings()
    url = settings.database_url
    settings.ensure_var()
    upgrade_or_fail(url)
    counts = _counts(url)
    has_data = counts is not None and any(counts.values())
    if counts is not None and has_data and args.if_missing:
        print(f"demo database already present ({counts['order_lines']} order lines): kept")
        return 0
    if counts is not None and has_data and not args.force:
        raise CommandError(
            f"{redact_url(url)} already holds data ({counts['customers']} customers); "
            "pass --force to replace it with the demo shop"
        )
    try:
        written = build_demo(
            url,
            seed=args.seed,
            reference_date=args.date,
            customers=args.customers,
            order_lines=args.order_lines,
            reviews=args.reviews,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    print(f"demo shop written to {redact_url(url)}:")
    for table, n in written.items():
        print(f"  {table:12} {n:>7,}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kefu.cli import CommandError
    from kefu.shop.importer import ShopImportError, import_csv

    files = {k: getattr(args, k) for k in ("products", "customers", "orders", "reviews")}
    if not any(files.values()):
        raise CommandError("nothing to import: pass --products, --customers, --orders or --reviews")
    for kind, path in files.items():
        if path is not None and not path.is_file():
            raise CommandError(f"--{kind}: {path} is not a readable file")
    get_settings().ensure_var()
    upgrade_or_fail(get_settings().database_url)
    try:
        written = import_csv(**files, url=get_settings().database_url)
    except ShopImportError as exc:
        raise CommandError(str(exc)) from exc
    print("imported: " + ", ".join(f"{n:,} {t}" for t, n in written.items() if n))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kefu.cli import CommandError
    from kefu.shop.importer import export_csv

    url = get_settings().database_url
    if _counts(url) is None:
        raise CommandError(
            f"{redact_url(url)} has no shop tables: run 'kefu db demo' or 'kefu db init'"
        )
    for kind, path in export_csv(args.directory, url).items():
        print(f"{kind:10} -> {path}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from kefu.shop.db import schema_revision

    url = get_settings().database_url
    counts = _counts(url)
    print(f"database: {redact_url(url)}")
    if counts is None:
        print("  not initialised (run 'kefu db demo' for the demo shop)")
        return 1
    print(f"  schema revision {schema_revision(url) or 'none (run kefu db upgrade)'}")
    for table, n in counts.items():
        print(f"  {table:12} {n:>7,}")
    return 0
