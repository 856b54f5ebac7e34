"""``kefu redact [--kinds KINDS]``: copy stdin to stdout, line by line, with personal data
masked (see :mod:`nlp.redact`)."""

from __future__ import annotations

import argparse
import io
import sys

from nlp.redact import KINDS, parse_kinds


def _kinds(value: str) -> frozenset[str]:
    try:
        return parse_kinds(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu redact``."""
    p = subparsers.add_parser(
        "redact",
        help="mask personal data (IDs, phones, e-mails, cards, addresses) from stdin to stdout",
        description="Copy stdin to stdout line by line, with personal data replaced by "
        "[ID], [PHONE], [EMAIL], [CARD] and [ADDRESS].",
    )
    p.add_argument(
        "--kinds",
        type=_kinds,
        default="all",
        metavar="KINDS",
        help=f"comma-separated kinds to mask, from {', '.join(KINDS)} (default: all)",
    )
    p.set_defaults(func=cmd_redact)


def cmd_redact(args: argparse.Namespace) -> int:
    from nlp.redact import redact

    kinds = args.kinds if isinstance(args.kinds, frozenset) else parse_kinds(args.kinds)
    # Bytes that are not UTF-8 pass through unchanged (surrogateescape both ways).
    stdin = io.TextIOWrapper(
        sys.stdin.buffer, encoding="utf-8", errors="surrogateescape", newline=""
    )
    stdout = io.TextIOWrapper(
        sys.stdout.buffer,
        encoding="utf-8",
        errors="surrogateescape",
        newline="",
        line_buffering=True,
    )
    try:
        for line in stdin:
            stdout.write(redact(line, kinds=kinds))
    finally:
        stdout.flush()
        stdout.detach()
        stdin.detach()
    return 0
