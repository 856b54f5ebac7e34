"""``kefu run``: the whole app (``kefu shell``, a terminal conversation, is in :mod:`.shell`).

``kefu run`` builds what is missing (demo database, bot model), then starts the action
server, the Rasa server and the web site as child processes on loopback, prints the URL
to open, and stops all three on Ctrl-C (or when one of them dies). Rasa's HTTP API is on,
for the site to restore a conversation's history, behind a token made anew on each run.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kefu.commands.processes import HOST, Service, Supervisor, port_in_use
from kefu.settings import Settings, get_settings

SITE_TIMEOUT = 60.0
ACTIONS_TIMEOUT = 120.0
RASA_TIMEOUT = 300.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu run``."""
    p = subparsers.add_parser(
        "run", help="build what is missing, start the bot, actions and web site (Ctrl-C stops)"
    )
    p.add_argument("--port", type=int, default=8000, help="web site port (default 8000)")
    p.add_argument("--rasa-port", type=int, default=5005, help="Rasa server port (5005)")
    p.add_argument("--actions-port", type=int, default=5055, help="action server port (5055)")
    p.add_argument(
        "--host",
        default=HOST,
        help="address the web site binds (default 127.0.0.1; Rasa and actions stay on loopback)",
    )
    model_arg(p)
    from kefu.commands.replicas import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_run)


def model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        type=Path,
        help="a trained bot model (.tar.gz) to use as is (default: train when stale)",
    )


# --- what the servers need -------------------------------------------------------------


def child_env() -> dict[str, str]:
    """Environment added for the servers: quiet TensorFlow, no telemetry."""
    return {
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
    }


def api_env(token: str) -> dict[str, str]:
    """Environment that turns on the Rasa server's HTTP API behind ``token``
    (:mod:`kefu.rasa_main` adds the options inside the process: ``ps`` never shows it)."""
    return {"KEFU_RASA_TOKEN": token}


def announce_env(host: str, port: int) -> dict[str, str]:
    """Environment of the action server and the site for the ticket announces: the site's
    URL as the action server reaches it (``host`` as the site binds it) and a secret made
    anew on each run (:mod:`actions.services.announce`, :mod:`web.internal`)."""
    if host in ("0.0.0.0", "", "::"):
        host = HOST
    elif ":" in host:
        host = f"[{host}]"
    return {"KEFU_SITE_URL": f"http://{host}:{port}", "KEFU_ANNOUNCE_SECRET": secrets.token_hex(32)}


def rasa_argv(model: Path, port: int) -> list[str]:
    """Command line of the Rasa server ``kefu run`` starts: loopback only, never ``--cors``
    (the site calls Rasa from the server side); the HTTP API token comes from
    :func:`api_env`, not from this visible command line."""
    from kefu.bot import server_command

    return server_command(model, port)


def servers_env(actions_port: int) -> dict[str, str]:
    """Environment of the child servers: Rasa's endpoints (action server on loopback at
    ``actions_port``, tracker and lock stores) and the settings children need."""
    from kefu.bot import rasa_env
    from kefu.cli import CommandError

    try:
        env = rasa_env(f"http://{HOST}:{actions_port}/webhook")
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    env.update(child_env())
    return env


def actions_service(port: int, log: Path, env: dict[str, str]) -> Service:
    """The action server on loopback at ``port``, ready when ``/health`` answers."""
    return Service("action server", actions_argv(port), f"http://{HOST}:{port}/health", log, env)


def actions_argv(port: int) -> list[str]:
    """Command line of the action server on loopback (with the action-call checks)."""
    from kefu.bot import actions_command

    return actions_command(port, HOST)


def ensure_database(settings: Settings) -> None:
    """Migrate the shop database to the newest schema; build the demo shop when empty."""
    from kefu.commands.db import upgrade_or_fail
    from kefu.shop.db import get_engine
    from kefu.shop.demo import build_demo
    from kefu.shop.writer import count_rows

    settings.ensure_var()
    url = settings.database_url
    upgrade_or_fail(url)
    with get_engine(url).connect() as conn:
        if any(count_rows(conn).values()):
            return
    print("kefu: building the demo shop database (first run)", flush=True)
    build_demo(url)


def ensure_model(given: Path | None = None) -> Path:
    """``given`` when set (it must exist), else the trained bot (trained when stale)."""
    from kefu.bot import BotBuildError, current_model, train_bot
    from kefu.cli import CommandError

    if given is not None:
        if not given.is_file() or not given.name.endswith(".tar.gz"):
            raise CommandError(f"--model {given}: not a trained model file (.tar.gz)")
        return given.resolve()

    from kefu.commands.train import train

    train(("nlp", "recsys"))  # the sentiment model and the recommender, when stale
    previous = current_model()
    before = previous.stat().st_mtime_ns if previous else None
    started = time.monotonic()
    print("kefu: checking the bot model (trains only when the bot or the shop changed)")
    try:
        model = Path(train_bot())
    except (BotBuildError, subprocess.TimeoutExpired, OSError) as exc:
        raise CommandError(f"training the bot failed: {exc}") from exc
    if model.stat().st_mtime_ns == before:
        print(f"kefu: bot model {model} is up to date")
    else:
        print(f"kefu: bot model {model} trained in {time.monotonic() - started:.0f} s")
    return model


def _fail(supervisor: Supervisor, service: Service, what: str) -> None:
    from kefu.cli import CommandError

    tail = service.log_tail()
    supervisor.stop_all()
    raise CommandError(f"the {service.name} {what} (log: {service.log_path}):\n{tail}")


# --- kefu run ----------------------------------------------------------------------------


def _print_passwords(settings: Settings) -> None:
    """Say where the passwords are (never the staff password itself: logs are read by many)."""
    from web.credentials import demo_password, staff_password

    staff_password(settings.var_dir)  # generated now when missing, so the file exists
    print(f"kefu: demo customers sign in with the password {demo_password(settings.var_dir)}")
    print(
        f"kefu: staff password for /agent and /analytics (account {settings.staff_email}): "
        + (
            "the value of KEFU_STAFF_PASSWORD"
            if settings.staff_password
            else f"in {settings.var_dir / 'staff_password'} (readable only by you)"
        )
    )
    print("kefu: more staff accounts: kefu staff add EMAIL --name NAME --role agent|admin")


def cmd_run(args: argparse.Namespace) -> int:
    """Start everything and wait for Ctrl-C (``--replicas N``: :mod:`.replicas`)."""
    from kefu.cli import CommandError

    if getattr(args, "replicas", None) is not None:
        from kefu.commands.replicas import cmd_run_replicas

        return cmd_run_replicas(args)

    settings = get_settings()
    problem = settings.lock_problem()  # a slow action would let the next message in
    if problem:
        raise CommandError(problem)
    for name, host, port in (
        ("--port", args.host, args.port),
        ("--rasa-port", HOST, args.rasa_port),
        ("--actions-port", HOST, args.actions_port),
    ):
        if not 0 < port < 65536:
            raise CommandError(f"{name} must be a port number (1-65535), got {port}")
        if port_in_use(host, port):
            raise CommandError(
                f"port {port} is already in use (another 'kefu run'?): stop it or pass {name}"
            )
    ensure_database(settings)
    model = ensure_model(args.model)
    logs = settings.var_dir / "logs"
    token = secrets.token_hex(32)  # Rasa's HTTP API: new on each run, only the site has it
    rasa_url = f"http://{HOST}:{args.rasa_port}"
    shown_host = HOST if args.host in ("0.0.0.0", "") else args.host
    site_url = f"http://{shown_host}:{args.port}/"
    env = servers_env(args.actions_port)
    announce = announce_env(args.host, args.port)  # action server -> site, new hand-offs
    supervisor = Supervisor()
    previous = _interrupt_on_signals()
    try:
        actions = supervisor.start(
            actions_service(args.actions_port, logs / "actions.log", {**env, **announce})
        )
        rasa = supervisor.start(
            Service(
                "Rasa server",
                rasa_argv(model, args.rasa_port),
                f"{rasa_url}/status?token={token}",
                logs / "rasa.log",
                {**env, **api_env(token)},
            )
        )
        site = supervisor.start(
            Service(
                "web site",
                [sys.executable, "-m", "web", "--host", args.host, "--port", str(args.port)],
                f"http://{HOST}:{args.port}/healthz",
                logs / "web.log",
                {**env, **announce, "KEFU_RASA_URL": rasa_url, "KEFU_RASA_TOKEN": token},
            )
        )
        print(f"kefu: starting the servers (logs in {logs})", flush=True)
        if not supervisor.wait_ready(site, SITE_TIMEOUT):
            _fail(supervisor, site, "did not start")
        _print_passwords(settings)
        print(f"\n    kefu is up: open {site_url}\n", flush=True)
        if not supervisor.wait_ready(actions, ACTIONS_TIMEOUT):
            _fail(supervisor, actions, "did not start")
        started = time.monotonic()
        if not supervisor.wait_ready(rasa, RASA_TIMEOUT):
            _fail(supervisor, rasa, "did not start")
        print(f"kefu: chat ready (bot loaded in {time.monotonic() - started:.0f} s)")
        print("kefu: press Ctrl-C to stop", flush=True)
        while True:
            dead = supervisor.dead()
            if dead is not None:
                code = dead.process.returncode if dead.process else None
                _fail(supervisor, dead, f"stopped unexpectedly (exit {code})")
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nkefu: stopping", flush=True)
        supervisor.stop_all()
        print("kefu: stopped")
        return 0
    finally:
        supervisor.stop_all()
        _restore_signals(previous)


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _interrupt_on_signals() -> dict[int, Any]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt (even when SIGINT was ignored)."""
    return {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupt),
    }


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
