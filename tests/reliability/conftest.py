"""Servers for the reliability tests: two Rasa processes sharing a PostgreSQL tracker store
and the Redis lock store, each dependency behind a :class:`TcpProxy` the tests can cut."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.url import make_url

from tests.conftest import POSTGRES_ADMIN_URL
from tests.reliability.proxy import TcpProxy
from tests.support.servers import RasaServer, ServerProcess, _with_env, free_port

REDIS_DB = 9  # the tests' own Redis database; conversation ids are new in every test


@pytest.fixture(scope="module")
def pg_tracker_db() -> Iterator[str]:
    """A fresh PostgreSQL database for the module's tracker store (dropped afterwards)."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"kefu_rel_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def redis_url() -> str:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(port=6379, db=REDIS_DB, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"no Redis server at 127.0.0.1:6379: {exc}")
    return f"redis://127.0.0.1:6379/{REDIS_DB}"


@dataclass
class Pair:
    """Two Rasa servers (``a``, ``b``), their action server and the proxies in between."""

    a: RasaServer
    b: RasaServer
    actions: ServerProcess
    tracker_url: str  # direct, for the tests' own reads
    pg: TcpProxy  # both servers reach PostgreSQL through it
    redis: TcpProxy  # both servers reach Redis through it
    action_proxy: TcpProxy  # server a reaches the action server through it


def _start_all(servers: list[ServerProcess]) -> None:
    errors: list[BaseException] = []

    def start(server: ServerProcess) -> None:
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for s in servers:
            s.stop()
        raise errors[0]


@pytest.fixture(scope="module")
def pair(
    bot_env: dict[str, str], bot_model: Path, pg_tracker_db: str, redis_url: str
) -> Iterator[Pair]:
    from kefu.bot import actions_command, rasa_env, server_command

    pg_port = make_url(pg_tracker_db).port or 5432
    pg = TcpProxy(pg_port).start()
    redis = TcpProxy(6379).start()
    var = Path(bot_env["KEFU_VAR_DIR"])
    actions_port = free_port()
    actions = ServerProcess(
        "action server (reliability)",
        actions_command(actions_port),
        bot_env,
        actions_port,
        f"http://127.0.0.1:{actions_port}/health",
        var / "actions-reliability.log",
    )
    action_proxy = TcpProxy(actions_port).start()
    via_proxy = make_url(pg_tracker_db).set(port=pg.port).render_as_string(hide_password=False)
    env = {
        **bot_env,
        "KEFU_TRACKER_URL": via_proxy,
        "KEFU_REDIS_URL": f"redis://127.0.0.1:{redis.port}/{REDIS_DB}",
    }
    servers = []
    for name, action_port in (("a", action_proxy.port), ("b", actions_port)):
        port = free_port()
        with _with_env(env):
            server_env = rasa_env(f"http://127.0.0.1:{action_port}/webhook", base=env)
        servers.append(
            RasaServer(
                f"rasa server {name}",
                server_command(bot_model, port),
                server_env,
                port,
                f"http://127.0.0.1:{port}/",
                var / f"rasa-{name}.log",
            )
        )
    actions.start()
    try:
        _start_all(servers)
        yield Pair(servers[0], servers[1], actions, pg_tracker_db, pg, redis, action_proxy)
    finally:
        for server in (*servers, actions):
            server.stop()
        for proxy in (pg, redis, action_proxy):
            proxy.stop()


def user_texts(tracker_url: str, sender: str) -> list[str]:
    """The texts of ``sender``'s user events, in the order stored."""
    return [e["text"] for e in stored_events(tracker_url, sender) if e["event"] == "user"]


def stored_events(tracker_url: str, sender: str) -> list[dict]:
    """Every stored event of ``sender`` (all sessions), in the order stored."""
    import json

    engine = sa.create_engine(tracker_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).all()
    finally:
        engine.dispose()
    return [json.loads(r.data) for r in rows]


def new_sender() -> str:
    return f"rel-{uuid.uuid4().hex[:12]}"


__all__ = ["Pair", "new_sender", "stored_events", "user_texts", "os"]
