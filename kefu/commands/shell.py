"""``kefu shell``: start the action server and talk to the bot through ``rasa shell``.

The visitor is anonymous (the actions send product lists as text on this channel).
"""

from __future__ import annotations

import argparse
import subprocess

from kefu.commands.processes import free_port
from kefu.commands.run import (
    ACTIONS_TIMEOUT,
    HOST,
    Supervisor,
    _fail,
    _interrupt_on_signals,
    _restore_signals,
    actions_service,
    ensure_database,
    ensure_model,
    model_arg,
    servers_env,
)
from kefu.settings import get_settings


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu shell``."""
    p = subparsers.add_parser("shell", help="talk to the bot in the terminal (rasa shell)")
    model_arg(p)
    p.set_defaults(func=cmd_shell)


def cmd_shell(args: argparse.Namespace) -> int:
    """Start the action server, then ``rasa shell`` in the foreground."""
    from kefu.bot import shell_command

    settings = get_settings()
    ensure_database(settings)
    model = ensure_model(args.model)
    actions_port = free_port()
    env = servers_env(actions_port)
    supervisor = Supervisor()
    previous = _interrupt_on_signals()
    try:
        log = settings.var_dir / "logs" / "shell-actions.log"
        actions = supervisor.start(actions_service(actions_port, log, env))
        if not supervisor.wait_ready(actions, ACTIONS_TIMEOUT):
            _fail(supervisor, actions, "did not start")
        # its own port, so that it runs beside 'kefu run'
        argv = [*shell_command(model), "--interface", HOST, "--port", str(free_port())]
        return subprocess.call(argv, env=env, cwd=settings.root)
    except KeyboardInterrupt:
        return 130
    finally:
        supervisor.stop_all()
        _restore_signals(previous)
