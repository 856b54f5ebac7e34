"""The ``kefu`` command: one CLI for the database, models, reports and servers.

Each command group lives in its own module under :mod:`kefu.commands` and exposes
``add_parser(subparsers)``; the parser it adds sets ``func`` to the handler, which takes
the parsed arguments and returns an exit code.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import sys
from collections.abc import Sequence

from kefu import __version__

COMMANDS = [
    "kefu.commands.analyze",
    "kefu.commands.db",
    "kefu.commands.redact",
    "kefu.commands.privacy",
    "kefu.commands.token",
    "kefu.commands.train",
    "kefu.commands.recommend",
    "kefu.commands.run",
    "kefu.commands.shell",
    "kefu.commands.rasa",
    "kefu.commands.staff",
]


class CommandError(Exception):
    """A command failed for a reason the user can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered command group."""
    parser = argparse.ArgumentParser(
        prog="kefu",
        description="kefu (客服): bilingual customer-service chatbot and text analytics.",
    )
    parser.add_argument("--version", action="version", version=f"kefu {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def describe_os_error(exc: OSError) -> str:
    """One line for a file-system error: the file, what went wrong, what to do."""
    if exc.strerror is None:  # raised with a message of its own (ModelMissing...)
        return str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    advice = {
        errno.ENOSPC: "free some disk space and run the command again",
        errno.EROFS: "the file system is read-only: set KEFU_VAR_DIR to a writable directory",
        errno.EACCES: "check the permissions of the file and its directory",
        errno.ENOENT: "the file is missing: check the path (or train/build it first)",
    }.get(exc.errno or 0, "check the file and its directory")
    return f"{where}{exc.strerror} ({advice})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    from kefu.settings import private_umask

    private_umask()  # databases, secrets, logs: 0600 (the servers kefu starts inherit it)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"kefu: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # full disk, read-only var/, a missing or unreadable file
        print(f"kefu: error: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kefu: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
