"""``kefu token --customer ID``: print a signed customer token (for operators and tests)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu token``."""
    p = subparsers.add_parser("token", help="print a signed customer token for the chat")
    p.add_argument("--customer", required=True, help="customer id, e.g. C00042")
    p.add_argument("--ttl", type=int, default=8 * 3600, help="validity in seconds (default 8 h)")
    p.set_defaults(func=cmd_token)


def cmd_token(args: argparse.Namespace) -> int:
    from kefu.cli import CommandError
    from kefu.identity import issue_token
    from kefu.settings import get_settings
    from kefu.shop.db import is_initialised
    from kefu.shop.queries import get_customer

    url = get_settings().database_url
    if not is_initialised(url):
        raise CommandError("the shop database is not initialised: run 'kefu db demo' first")
    if get_customer(args.customer, url=url) is None:
        raise CommandError(f"no customer with id {args.customer!r}")
    try:
        print(issue_token(args.customer, args.ttl))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return 0
