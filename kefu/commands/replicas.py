"""``kefu run --replicas N``: N Rasa servers, the action server(s) and the site behind nginx.

Every Rasa replica loads the same model and shares the PostgreSQL tracker store
(``KEFU_TRACKER_URL``) and the Redis lock store (``KEFU_REDIS_URL``, loaded by module path
as :class:`kefu.lockstore.AtomicRedisLockStore`), so any replica can take any message of
any conversation; action servers and sites keep no state of their own (the site's socket
rooms go through Redis). nginx (:mod:`kefu.nginx`) listens on three doors:

* the site, at ``--host:--port``: ``sticky`` (socket.io long-polling stays on one site);
* Rasa, on loopback at ``--rasa-port``: ``--routing`` (round-robin by default);
* the action servers, on loopback at ``--actions-port``: round-robin.

Before any replica starts, the tracker tables are created once (under a PostgreSQL
advisory lock) and each replica's SQL pool is sized so that all of them stay under the
server's ``max_connections`` (:func:`kefu.tracker_schema.pool_sizes`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kefu.commands.processes import HOST, Service, Supervisor, free_port, port_in_use
from kefu.settings import Settings, get_settings

# web.internal.PREFIX: the site's door for kefu's own servers; nginx lets only loopback in
INTERNAL_PATH = "/internal/"

MAX_REPLICAS = 64
START_TIMEOUT = 300.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The replica options of ``kefu run``."""
    p.add_argument(
        "--replicas",
        type=int,
        metavar="N",
        help="run N Rasa servers behind nginx (needs KEFU_TRACKER_URL=postgresql://... "
        "and KEFU_REDIS_URL)",
    )
    p.add_argument("--site-replicas", type=int, default=2, metavar="M", help="sites (2)")
    p.add_argument("--action-replicas", type=int, default=1, metavar="K", help="action servers")
    p.add_argument(
        "--routing",
        choices=("round-robin", "sticky"),
        default="round-robin",
        help="how nginx spreads messages over the Rasa replicas (default round-robin)",
    )


def store_problem(settings: Settings) -> str | None:
    """Why the replicas cannot share the stores as configured, or ``None``."""
    missing = []
    if not settings.tracker_url.startswith(("postgresql", "postgres://")):
        missing.append("KEFU_TRACKER_URL=postgresql://user@host:5432/db (shared tracker store)")
    if not settings.redis_url:
        missing.append("KEFU_REDIS_URL=redis://host:6379/0 (shared lock store and socket rooms)")
    if missing:
        return (
            "kefu run --replicas needs stores every replica shares (SQLite and the in-memory "
            "lock store belong to one process); set " + " and ".join(missing)
        )
    return None


def check_stores(settings: Settings) -> int:
    """Refuse unless PostgreSQL and Redis are configured and answer; create the tracker
    tables once (advisory lock); returns the server's ``max_connections``."""
    from kefu.cli import CommandError
    from kefu.tracker_schema import create_tracker_tables, max_connections

    problem = store_problem(settings)
    if problem:
        raise CommandError(problem)
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa's 1.4 models
    import redis  # type: ignore[import-untyped]
    import sqlalchemy as sa

    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5).ping()
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise CommandError(f"Redis at KEFU_REDIS_URL does not answer: {exc}") from exc
    try:
        create_tracker_tables(settings.tracker_url)
        return max_connections(settings.tracker_url)
    except sa.exc.SQLAlchemyError as exc:
        raise CommandError(f"PostgreSQL at KEFU_TRACKER_URL: {exc}") from exc


@dataclass
class ReplicaSet:
    """The backend processes of a replica set and where they listen."""

    rasa: list[Service] = field(default_factory=list)
    actions: list[Service] = field(default_factory=list)
    sites: list[Service] = field(default_factory=list)
    rasa_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    site_ports: list[int] = field(default_factory=list)

    @property
    def services(self) -> list[Service]:
        """Every backend, in start order (action servers, Rasa, sites)."""
        return [*self.actions, *self.rasa, *self.sites]


def plan(
    model: Path,
    *,
    replicas: int,
    actions: int,
    sites: int,
    token: str,
    rasa_url: str,
    action_url: str,
    pool: tuple[int, int],
    logs: Path,
    announce: dict[str, str] | None = None,
) -> ReplicaSet:
    """The backends: ``replicas`` Rasa servers using the action servers at ``action_url``,
    ``actions`` action servers, ``sites`` sites talking to Rasa at ``rasa_url``; each on
    a free loopback port, with its own log under ``logs``. ``announce``: the environment
    with which the action servers announce new tickets to the sites
    (:func:`kefu.commands.run.announce_env`, the sites' door in nginx)."""
    from kefu.commands.run import actions_service, api_env, rasa_argv

    env = servers_env_url(action_url)
    out = ReplicaSet()
    for i in range(actions):
        port = free_port()
        out.action_ports.append(port)
        out.actions.append(
            actions_service(port, logs / f"actions-{i}.log", {**env, **(announce or {})})
        )
        out.actions[-1].name = f"action server {i}"
    rasa_env = {
        **env,
        **api_env(token),
        "KEFU_SQL_POOL_SIZE": str(pool[0]),
        "KEFU_SQL_MAX_OVERFLOW": str(pool[1]),
    }
    for i in range(replicas):
        port = free_port()
        out.rasa_ports.append(port)
        out.rasa.append(
            Service(
                f"Rasa replica {i}",
                rasa_argv(model, port),
                f"http://{HOST}:{port}/status?token={token}",
                logs / f"rasa-{i}.log",
                rasa_env,
            )
        )
    site_env = {**env, **(announce or {}), "KEFU_RASA_URL": rasa_url, "KEFU_RASA_TOKEN": token}
    site_env["KEFU_PROXIES_COUNT"] = "1"  # behind nginx: the client is in X-Forwarded-For
    for i in range(sites):
        port = free_port()
        out.site_ports.append(port)
        out.sites.append(
            Service(
                f"site {i}",
                [sys.executable, "-m", "web", "--host", HOST, "--port", str(port)],
                f"http://{HOST}:{port}/healthz",
                logs / f"web-{i}.log",
                site_env,
            )
        )
    return out


def servers_env_url(action_url: str) -> dict[str, str]:
    """:func:`kefu.commands.run.servers_env` for an action server at a full URL."""
    from kefu.bot import rasa_env
    from kefu.cli import CommandError
    from kefu.commands.run import child_env

    try:
        env = rasa_env(action_url)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    env.update(child_env())
    return env


def nginx_service(conf: Path, health_url: str, logs: Path) -> Service:
    """nginx in the foreground with ``conf``, ready when ``health_url`` answers."""
    from kefu import nginx

    return Service("nginx", nginx.command(conf), health_url, logs / "nginx.log")


def start_and_wait(supervisor: Supervisor, services: list[Service], timeout: float) -> None:
    """Start every service, then wait for each (a failure or Ctrl-C: stop all, raise)."""
    from kefu.cli import CommandError

    try:
        for service in services:
            supervisor.start(service)
        deadline = time.monotonic() + timeout
        for service in services:
            if not supervisor.wait_ready(service, max(1.0, deadline - time.monotonic())):
                raise CommandError(
                    f"the {service.name} did not start (log: {service.log_path}):\n"
                    + service.log_tail()
                )
    except BaseException:
        supervisor.stop_all()
        raise


def cmd_run_replicas(args: argparse.Namespace) -> int:
    """``kefu run --replicas N``: start the set, print the URL, stop it all on Ctrl-C."""
    from kefu import nginx
    from kefu.cli import CommandError
    from kefu.commands.run import (
        _interrupt_on_signals,
        _print_passwords,
        _restore_signals,
        announce_env,
        ensure_database,
        ensure_model,
    )
    from kefu.tracker_schema import PoolBudgetError, pool_sizes

    n = args.replicas
    for name, value, low in (
        ("--replicas", n, 1),
        ("--site-replicas", args.site_replicas, 1),
        ("--action-replicas", args.action_replicas, 1),
    ):
        if not low <= value <= MAX_REPLICAS:
            raise CommandError(f"{name} must be between {low} and {MAX_REPLICAS}, got {value}")
    settings = get_settings()
    problem = settings.lock_problem()
    if problem:
        raise CommandError(problem)
    try:
        nginx.find_nginx()
    except nginx.NginxMissing as exc:
        raise CommandError(str(exc)) from exc
    max_conn = check_stores(settings)
    try:
        pool = pool_sizes(n, max_conn)
    except PoolBudgetError as exc:
        raise CommandError(str(exc)) from exc
    for flag, host, port in (
        ("--port", args.host, args.port),
        ("--rasa-port", HOST, args.rasa_port),
        ("--actions-port", HOST, args.actions_port),
    ):
        if port_in_use(host, port):
            raise CommandError(f"port {port} is already in use: stop it or pass {flag}")
    ensure_database(settings)
    model = ensure_model(args.model)
    logs = settings.var_dir / "logs" / "replicas"
    token = secrets.token_hex(32)
    rasa_url, action_url = f"http://{HOST}:{args.rasa_port}", f"http://{HOST}:{args.actions_port}"
    rs = plan(
        model,
        replicas=n,
        actions=args.action_replicas,
        sites=args.site_replicas,
        token=token,
        rasa_url=rasa_url,
        action_url=f"{action_url}/webhook",
        pool=pool,
        logs=logs,
        announce=announce_env(args.host, args.port),  # any site: the emit goes through Redis
    )
    doors = [
        nginx.Door(
            "site",
            f"{args.host}:{args.port}",
            _addrs(rs.site_ports),
            "sticky",
            True,
            loopback_paths=(INTERNAL_PATH,),
        ),
        nginx.Door("rasa", f"{HOST}:{args.rasa_port}", _addrs(rs.rasa_ports), args.routing),
        nginx.Door("actions", f"{HOST}:{args.actions_port}", _addrs(rs.action_ports)),
    ]
    conf = nginx.write_config(settings.var_dir / "nginx", doors)
    front = nginx_service(conf, f"{rasa_url}{nginx.HEALTH_PATH}", logs)
    supervisor = Supervisor()
    previous = _interrupt_on_signals()
    try:
        print(
            f"kefu: starting {n} Rasa replicas (SQL pool {pool[0]} + {pool[1]} each), "
            f"{args.action_replicas} action server(s), {args.site_replicas} site(s) behind "
            f"nginx (logs in {logs})",
            flush=True,
        )
        start_and_wait(supervisor, [front, *rs.services], START_TIMEOUT)
        shown = HOST if args.host in ("0.0.0.0", "") else args.host
        _print_passwords(settings)
        print(f"\n    kefu is up: open http://{shown}:{args.port}/\n", flush=True)
        print(f"kefu: Rasa behind nginx at {rasa_url} ({args.routing}); Ctrl-C stops")
        while True:
            dead = supervisor.dead()
            if dead is not None:
                code = dead.process.returncode if dead.process else None
                raise CommandError(
                    f"the {dead.name} stopped unexpectedly (exit {code}, log: {dead.log_path}):"
                    f"\n{dead.log_tail()}"
                )
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nkefu: stopping", flush=True)
        supervisor.stop_all()
        print("kefu: stopped")
        return 0
    finally:
        supervisor.stop_all()
        _restore_signals(previous)


def _addrs(ports: list[int]) -> tuple[str, ...]:
    return tuple(f"{HOST}:{p}" for p in ports)


__all__ = [
    "ReplicaSet",
    "add_arguments",
    "check_stores",
    "cmd_run_replicas",
    "nginx_service",
    "plan",
    "start_and_wait",
    "store_problem",
]
