"""``kefu forget``, ``kefu export-data`` and ``kefu purge``: a customer's rights, and retention.

* ``kefu export-data --customer ID [--out FILE]``: everything kefu holds about a customer
  as JSON (profile, orders with lines, returns, refunds, reviews, tickets, CSAT, and what
  was said in their conversations).
* ``kefu forget --customer ID``: erase their conversations from the tracker store, then
  their tickets, notes, CSAT text, review texts and personal fields from the shop (orders
  stay for the accounts, with personal fields blanked). See :mod:`kefu.privacy`.
* ``kefu purge [--days N]``: delete conversations older than ``KEFU_RETENTION_DAYS`` and
  empty their tickets' transcripts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu forget``, ``kefu export-data`` and ``kefu purge``."""
    p = subparsers.add_parser(
        "forget", help="erase a customer's conversations, tickets and personal data"
    )
    p.add_argument("--customer", required=True, help="customer id, e.g. C00042")
    p.set_defaults(func=cmd_forget)
    p = subparsers.add_parser(
        "export-data", help="write everything kefu holds about a customer as JSON"
    )
    p.add_argument("--customer", required=True, help="customer id, e.g. C00042")
    p.add_argument("--out", type=Path, help="file to write (default: stdout); created 0600")
    p.set_defaults(func=cmd_export)
    p = subparsers.add_parser(
        "purge", help="delete conversations older than KEFU_RETENTION_DAYS (and transcripts)"
    )
    p.add_argument("--days", type=int, help="retention in days (default: KEFU_RETENTION_DAYS)")
    p.set_defaults(func=cmd_purge)


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase one customer."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.cli import CommandError
    from kefu.privacy import forget

    try:
        done = forget(args.customer)
    except SQLAlchemyError as exc:
        raise CommandError(
            f"erasing {args.customer} failed ({exc.__class__.__name__}); nothing was "
            "half-written in either database: run 'kefu forget' again"
        ) from exc
    if done is None:
        raise CommandError(f"no customer with id {args.customer!r}")
    shop = ", ".join(f"{table} {rows}" for table, rows in sorted(done.shop.items()))
    print(
        f"kefu: forgot {args.customer}: {len(done.conversations)} conversations "
        f"({done.events} events) erased; shop rows changed: {shop}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write one customer's data."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.cli import CommandError
    from kefu.privacy import export_data

    try:
        data = export_data(args.customer)
    except SQLAlchemyError as exc:
        raise CommandError(
            f"reading {args.customer}'s data failed: {exc.__class__.__name__}"
        ) from exc
    if data is None:
        raise CommandError(f"no customer with id {args.customer!r}")
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    tmp = args.out.with_name(f".{args.out.name}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, args.out)
    print(f"kefu: wrote {args.customer}'s data to {args.out}", file=sys.stderr)
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Apply the retention period."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.cli import CommandError
    from kefu.privacy import purge
    from kefu.settings import get_settings

    try:
        days = args.days if args.days is not None else get_settings().retention_days
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if days is None:
        raise CommandError(
            "set KEFU_RETENTION_DAYS (or pass --days) to say how long to keep conversations"
        )
    if days <= 0:
        raise CommandError(f"--days must be positive, got {days}")
    try:
        conversations, events, transcripts = purge(days)
    except SQLAlchemyError as exc:
        raise CommandError(f"purge failed ({exc.__class__.__name__}): run it again") from exc
    print(
        f"kefu: purged {conversations} conversations older than {days} days "
        f"({events} events); {transcripts} ticket transcripts emptied"
    )
    return 0
