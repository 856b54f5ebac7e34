"""``kefu rasa ARGS``: run ``rasa ARGS`` in ``bot/`` with kefu's domain, lookups and endpoints.

See :mod:`kefu.bot.rasa_cli` for what is added. Examples::

    kefu rasa data validate --fail-on-warnings
    kefu rasa train
    kefu rasa shell            # with the action server: kefu rasa run actions
    kefu rasa test
    kefu rasa interactive
"""

from __future__ import annotations

import argparse
import subprocess


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu rasa``."""
    p = subparsers.add_parser(
        "rasa",
        help="run a rasa command (train, shell, test, interactive...) on kefu's bot",
        description="Runs 'rasa ARGS' in bot/ and adds kefu's domain directory, lookup "
        "tables, endpoints and newest model where ARGS does not give them.",
        add_help=False,  # 'kefu rasa --help' is Rasa's own help
    )
    p.add_argument("-h", "--help", action="store_true", dest="rasa_help", help="Rasa's help")
    p.add_argument("rasa_args", nargs=argparse.REMAINDER, help="arguments for rasa")
    p.set_defaults(func=cmd_rasa)


def cmd_rasa(args: argparse.Namespace) -> int:
    """Run Rasa in the foreground; its exit code is ours."""
    from kefu.bot.project import BotBuildError, bot_dir
    from kefu.bot.rasa_cli import rasa_argv, rasa_process_env
    from kefu.cli import CommandError

    try:
        argv = rasa_argv((["--help"] if args.rasa_help else []) + args.rasa_args)
    except BotBuildError as exc:
        raise CommandError(str(exc)) from exc
    try:
        return subprocess.call(argv, cwd=bot_dir(), env=rasa_process_env())
    except KeyboardInterrupt:
        return 130
