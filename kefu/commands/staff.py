"""``kefu staff add|list|disable``: the accounts of the agent console."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu staff``."""
    p = subparsers.add_parser("staff", help="manage staff accounts (agents and admins)")
    sub = p.add_subparsers(title="staff commands", metavar="ACTION")
    add = sub.add_parser(
        "add", help="create an account (password prompted, or read from stdin when piped)"
    )
    add.add_argument("email")
    add.add_argument("--name", required=True, help="display name shown to customers")
    add.add_argument("--role", choices=("agent", "admin"), default="agent")
    add.set_defaults(func=cmd_add)
    lst = sub.add_parser("list", help="list the accounts")
    lst.set_defaults(func=cmd_list)
    disable = sub.add_parser("disable", help="disable an account and sign it out everywhere")
    disable.add_argument("email")
    disable.set_defaults(func=cmd_disable)
    p.set_defaults(func=lambda _args: p.print_help() or 2)


def _database() -> str:
    from kefu.commands.db import upgrade_or_fail
    from kefu.settings import get_settings

    url = get_settings().database_url
    get_settings().ensure_var()
    upgrade_or_fail(url)
    return url


def _read_password() -> str:
    from getpass import getpass

    if sys.stdin.isatty():
        first = getpass("password: ")
        if getpass("again: ") != first:
            from kefu.cli import CommandError

            raise CommandError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_add(args: argparse.Namespace) -> int:
    from kefu.cli import CommandError
    from kefu.support.staff import StaffExists, add_account

    url = _database()
    password = _read_password()
    try:
        info = add_account(args.email, args.name, args.role, password, url=url)
    except (ValueError, StaffExists) as exc:
        raise CommandError(str(exc)) from exc
    print(f"added {info.role} {info.email} ({info.name}), id {info.id}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from kefu.shop.queries.staff import list_staff

    accounts = list_staff(url=_database())
    if not accounts:
        print("no staff accounts (add one with: kefu staff add EMAIL --name NAME)")
    for a in accounts:
        state = "active" if a.active else "disabled"
        duty = ", on duty" if a.on_duty else ""
        print(f"{a.id}\t{a.email}\t{a.name}\t{a.role}\t{state}{duty}")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from kefu.cli import CommandError
    from kefu.shop.queries.staff import disable_staff

    info = disable_staff(args.email, url=_database())
    if info is None:
        raise CommandError(f"no staff account {args.email!r}")
    print(f"disabled {info.email}; its sessions are signed out")
    return 0
