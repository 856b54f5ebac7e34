"""Session fixtures for the channels: the web site, and a Rasa server with its HTTP API.

Registered for the whole suite in ``tests/conftest.py`` (``pytest_plugins``), beside
:mod:`tests.support.servers`, whose demo shop, model and action server they reuse.

Helpers: :func:`start_site`, and :func:`slow_bot_site` (a site whose bot never answers).

Fixtures:
    api_rasa_server: a Rasa server like ``kefu run`` starts it: REST channel plus the HTTP
        API behind an auth token (``.token``), on loopback.
    live_site: the web site (``python -m web``) in front of ``api_rasa_server``.
    guarded_action_server: ``python -m actions.server`` (rasa_sdk with input checks).
    fuzz_site: a site of its own for the fuzz tests, over a copy of the shop, in front of
        ``api_rasa_server``, with a chat rate limit high enough to reach the handlers.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import (
    ROOT,
    RasaServer,
    ServerProcess,
    _with_env,
    action_server_process,
    free_port,
)

DEMO_PASSWORD = "demo-test-pass"
STAFF_PASSWORD = "staff-test-pass"


@dataclass
class Site:
    """A running web site: its base URL and process."""

    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stop the site (SIGTERM, then SIGKILL)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_site(env: dict[str, str], log: Path, **extra_env: str) -> Site:
    """Start ``python -m web`` on a free port with ``env`` and wait until it answers."""
    return start_site_on(free_port(), env, log, **extra_env)


def start_site_on(port: int, env: dict[str, str], log: Path, **extra_env: str) -> Site:
    """Start ``python -m web`` on ``port`` with ``env`` and wait until it answers."""
    import urllib.error
    import urllib.request

    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "web", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env, **extra_env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the site exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return Site(url, process, log)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the site did not start: {log.read_text()[-2000:]}")


@contextmanager
def silent_rasa() -> Iterator[str]:
    """A "Rasa" that accepts connections and never answers; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


@contextmanager
def slow_bot_site(env: dict[str, str], log: Path) -> Iterator[Site]:
    """A site in front of :func:`silent_rasa`, waiting 1 s for the bot (the site's timeout)."""
    with silent_rasa() as url:
        site = start_site(env, log, KEFU_RASA_URL=url, KEFU_RASA_TIMEOUT="1")
        try:
            yield site
        finally:
            site.stop()


class ApiRasaServer(RasaServer):
    """A Rasa server with its HTTP API enabled behind ``token``."""

    token: str = ""


def api_rasa_process(
    env: dict[str, str],
    model: Path,
    action_server: ServerProcess,
    name: str = "rasa server (API)",
    log: str = "rasa-api.log",
) -> ApiRasaServer:
    """A Rasa server as ``kefu run`` starts it (HTTP API behind a new token, on loopback)
    using ``action_server``, with ``env``, logging to ``log`` in its state directory; not
    started yet."""
    from kefu.bot import rasa_env, server_command
    from kefu.commands.run import api_env

    port = free_port()
    token = secrets.token_urlsafe(24)
    with _with_env(env):
        renv = rasa_env(f"{action_server.url}/webhook", base=env)
    server = ApiRasaServer(
        name=name,
        cmd=server_command(model, port),
        env={**renv, **api_env(token)},
        port=port,
        health_url=f"http://127.0.0.1:{port}/status?token={token}",
        log_path=Path(env["KEFU_VAR_DIR"]) / log,
    )
    server.token = token
    return server


@pytest.fixture(scope="session")
def api_rasa_server(
    bot_env: dict[str, str], bot_model: Path, action_server: ServerProcess
) -> Iterator[ApiRasaServer]:
    """The Rasa server as ``kefu run`` starts it: ``--enable-api --auth-token`` on loopback."""
    server = api_rasa_process(bot_env, bot_model, action_server)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_site(bot_env: dict[str, str], api_rasa_server: ApiRasaServer) -> Iterator[Site]:
    """The web site in front of the real bot (same shop, same token secret)."""
    log = Path(bot_env["KEFU_VAR_DIR"]) / "web.log"
    site = start_site(
        bot_env,
        log,
        KEFU_RASA_URL=api_rasa_server.url,
        KEFU_RASA_TOKEN=api_rasa_server.token,
        KEFU_DEMO_PASSWORD=DEMO_PASSWORD,
        KEFU_STAFF_PASSWORD=STAFF_PASSWORD,
    )
    yield site
    site.stop()


@pytest.fixture(scope="session")
def guarded_action_server(bot_env: dict[str, str]) -> Iterator[ServerProcess]:
    """The action server as ``kefu run`` starts it (``python -m actions.server``)."""
    server = action_server_process(
        bot_env, Path(bot_env["KEFU_VAR_DIR"]) / "actions-checked.log", "action server (checked)"
    )
    server.start()
    yield server
    server.stop()


def _copy_sqlite(url: str, target: Path) -> str:
    """A copy of the SQLite database at ``url`` (the backup API: WAL pages included)."""
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def fuzz_site(
    bot_env: dict[str, str], api_rasa_server: ApiRasaServer, tmp_path_factory
) -> Iterator[Site]:
    """A site of its own for the fuzz tests: over a copy of the session's shop (the fuzz
    adds staff, canned replies, notes...), in front of the real bot, with a chat rate high
    enough that generated requests reach the handlers instead of the rate limiter."""
    var = tmp_path_factory.mktemp("fuzz-site")
    env = {
        **bot_env,
        "KEFU_VAR_DIR": str(var),
        "KEFU_DATABASE_URL": _copy_sqlite(bot_env["KEFU_DATABASE_URL"], var / "shop.db"),
    }
    site = start_site(
        env,
        var / "web.log",
        KEFU_RASA_URL=api_rasa_server.url,
        KEFU_RASA_TOKEN=api_rasa_server.token,
        KEFU_DEMO_PASSWORD=DEMO_PASSWORD,
        KEFU_STAFF_PASSWORD=STAFF_PASSWORD,
        KEFU_CHAT_RATE="100000",
    )
    yield site
    site.stop()
