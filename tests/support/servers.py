"""Session fixtures that run the real bot: demo shop, trained model, action and Rasa servers.

Registered for the whole suite in ``tests/conftest.py`` (``pytest_plugins``). Everything
lives in one temporary state directory (``KEFU_VAR_DIR``): the demo shop database, the
signing secret, the lookup tables and the SQLite tracker store. The model is trained once
per session and reused across sessions while nothing it depends on changes: it is cached
outside the repository, under ``$KEFU_TEST_CACHE`` (default ``~/.cache/kefu/tests``), in a
directory named by the hash of its inputs (:func:`kefu.bot.fingerprint`), written under a
temporary name and renamed, so that runs from several checkouts at once cannot collide. The servers listen on free local ports and are stopped at the
end of the session; :meth:`RasaServer.restart` restarts the Rasa server mid-session.

Fixtures:
    bot_env: the environment of the servers (``dict``), with a demo shop built in it.
    bot_model: path of the trained model.
    action_server: the running action server (:class:`ServerProcess`).
    rasa_server: the running Rasa server (:class:`RasaServer`), REST channel; the session's
        fixture, shared by every test that talks to the bot.
    shop_env: function-scoped: points this process at the same shop (for in-process tests).
    shop_cases: orders of each kind (status, age, lines) found in that shop.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kefu.clock import today_in

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("KEFU_TEST_CACHE") or Path.home() / ".cache" / "kefu" / "tests")
# state the bot's training builds on (the shipped sentiment model...), shared by sessions
TRAIN_VAR = CACHE.expanduser() / "var"
# trained bots, one directory per fingerprint of their inputs
MODEL_CACHE = CACHE.expanduser() / "bot-model"
DEMO_SIZES = {"customers": 400, "order_lines": 4000, "reviews": 1000}
DEMO_SEED = 42
START_TIMEOUT = 180.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(
    url: str,
    payload: Any | None = None,
    timeout: float = 60.0,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET (or POST ``payload`` as JSON to) ``url`` and decode the JSON answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read().decode()
    return json.loads(body) if body.strip() else None


@dataclass
class ServerProcess:
    """A server child process with its own process group, log file and health URL."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    port: int
    health_url: str
    log_path: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the process and wait until its health URL answers."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=str(ROOT),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy in {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the process group (SIGTERM, then SIGKILL)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)
        self.proc = None

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class RasaServer(ServerProcess):
    """The Rasa server with the REST channel."""

    @property
    def webhook(self) -> str:
        """URL of kefu's channel (the REST channel behind the site's secret)."""
        return f"{self.url}/webhooks/kefu/webhook"

    @property
    def channel_headers(self) -> dict[str, str]:
        """The header the site sends: the channel secret of this server's environment."""
        return {"X-Kefu-Channel-Secret": self.env["KEFU_CHANNEL_SECRET"]}

    def send(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Send one message as ``sender`` (as the site does); return the bot's messages."""
        payload: dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            payload["metadata"] = metadata
        return http_json(self.webhook, payload, headers=self.channel_headers) or []

    def restart(self) -> None:
        """Stop and start the Rasa server (conversations live in the tracker store)."""
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def bot_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of the bot servers, with a demo shop built in a temporary state dir."""
    from kefu.shop.demo import build_demo

    var = tmp_path_factory.mktemp("kefu-var")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KEFU_DATABASE_URL", "KEFU_TRACKER_URL", "KEFU_REDIS_URL")
    }
    env["KEFU_VAR_DIR"] = str(var)
    env["KEFU_DATABASE_URL"] = f"sqlite:///{var / 'shop.db'}"
    env["KEFU_TRACKER_URL"] = f"sqlite:///{var / 'tracker.db'}"
    env["KEFU_TOKEN_SECRET"] = "kefu-test-secret-" + os.urandom(8).hex()
    env["KEFU_CHANNEL_SECRET"] = "kefu-test-channel-" + os.urandom(8).hex()
    env["KEFU_ACTION_TOKEN"] = "kefu-test-actions-" + os.urandom(8).hex()
    env["PYTHONPATH"] = str(ROOT)
    build_demo(
        env["KEFU_DATABASE_URL"],
        seed=DEMO_SEED,
        reference_date=today_in(),
        progress=False,
        **DEMO_SIZES,
    )
    with _with_env(env):  # trained offline, as `kefu run` does: requests never train
        from kefu.recommender import train_from_db

        train_from_db(env["KEFU_DATABASE_URL"])
    return env


@pytest.fixture
def shop_env(bot_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this test process at the session's shop, secret and state directory."""
    for key in (
        "KEFU_VAR_DIR",
        "KEFU_DATABASE_URL",
        "KEFU_TRACKER_URL",
        "KEFU_TOKEN_SECRET",
        "KEFU_CHANNEL_SECRET",
        "KEFU_ACTION_TOKEN",
    ):
        monkeypatch.setenv(key, bot_env[key])
    return bot_env


def action_server_process(
    env: dict[str, str], log_path: Path, name: str = "action server"
) -> ServerProcess:
    """The action server as ``kefu run`` starts it (:func:`kefu.bot.actions_command`), on a
    free port; not started yet."""
    from kefu.bot import actions_command

    port = free_port()
    return ServerProcess(
        name, actions_command(port), env, port, f"http://127.0.0.1:{port}/health", log_path
    )


def _with_env(env: dict[str, str]):
    class _Env:
        def __enter__(self):
            self.saved = dict(os.environ)
            os.environ.update(env)

        def __exit__(self, *exc):
            os.environ.clear()
            os.environ.update(self.saved)

    return _Env()


@pytest.fixture(scope="session")
def bot_model(bot_env: dict[str, str]) -> Path:
    """The trained bot (trained once; reused while its inputs are unchanged)."""
    from kefu.bot import train_bot

    # train with a persistent state directory, so that the models the pipeline builds on
    # (the shipped sentiment model...) and the bot itself are reused by later sessions
    env = {**bot_env, "KEFU_VAR_DIR": str(TRAIN_VAR)}
    with _with_env(env):
        out = model_cache_dir()
        with _exclusive(out / ".lock"):  # a second run waits, then reuses the model
            return train_bot(out_dir=out)


def model_cache_dir() -> Path:
    """The cache directory of the bot for the current inputs (call with the bot's env)."""
    from kefu.bot import fingerprint, generate_lookups

    return MODEL_CACHE / fingerprint(generate_lookups())[:20]


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def action_server(bot_env: dict[str, str]) -> Iterator[ServerProcess]:
    """The action server on a free port."""
    server = action_server_process(bot_env, Path(bot_env["KEFU_VAR_DIR"]) / "actions.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(
    bot_env: dict[str, str], bot_model: Path, action_server: ServerProcess
) -> Iterator[RasaServer]:
    """The Rasa server (REST channel, SQLite tracker store) on a free port."""
    from kefu.bot import rasa_env, server_command

    port = free_port()
    with _with_env(bot_env):
        env = rasa_env(f"{action_server.url}/webhook", base=bot_env)
    server = RasaServer(
        name="rasa server",
        cmd=server_command(bot_model, port),
        env=env,
        port=port,
        health_url=f"http://127.0.0.1:{port}/",
        log_path=Path(bot_env["KEFU_VAR_DIR"]) / "rasa.log",
    )
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class ShopCase:
    """An order of the demo shop, its customer and their contact details."""

    order_id: str
    customer_id: str
    email: str
    phone: str
    language: str
    status: str


def _case(s: Any, order: Any) -> ShopCase:
    from kefu.shop.models import Customer

    c = s.get(Customer, order.customer_id)
    return ShopCase(order.id, c.id, c.email, c.phone, c.language, order.status)


@pytest.fixture(scope="session")
def shop_cases(bot_env: dict[str, str]) -> dict[str, ShopCase]:
    """Orders of each kind, read from the session's demo shop (never hard-coded)."""
    from sqlalchemy import select

    from kefu.shop import session_scope
    from kefu.shop.models import Order, OrderLine, Refund

    today = today_in()
    cases: dict[str, ShopCase] = {}
    with session_scope(bot_env["KEFU_DATABASE_URL"]) as s:
        newest = select(Order).order_by(Order.ordered_at.desc())
        for status in ("paid", "shipped", "cancelled", "returned"):
            cases[status] = _case(s, s.scalars(newest.where(Order.status == status)).first())
        delivered = s.scalars(newest.where(Order.status == "delivered")).all()
        recent = [o for o in delivered if o.delivered_at.date() >= today - timedelta(days=10)]
        old = [o for o in delivered if o.delivered_at.date() < today - timedelta(days=60)]
        multi = [o for o in recent if len(o.lines) >= 2]
        single = [o for o in recent if len(o.lines) == 1]
        cases["delivered"] = _case(s, recent[0])
        for lang in ("zh", "en"):
            for key, pool in (("delivered", recent), ("shipped", None)):
                pool = pool or s.scalars(newest.where(Order.status == key)).all()
                found = next(o for o in pool if _case(s, o).language == lang)
                cases[f"{key}_{lang}"] = _case(s, found)
        cases["delivered_multi"] = _case(s, multi[0])
        cases["delivered_single"] = _case(s, single[0])
        cases["delivered_old"] = _case(s, old[0])
        with_refund = s.scalars(
            select(Order).join(Refund, Refund.order_id == Order.id).order_by(Order.id)
        ).first()
        cases["refunded"] = _case(s, with_refund)
        used = {c.order_id for c in cases.values()}
        # more paid orders, for tests that cancel one each
        paid = s.scalars(newest.where(Order.status == "paid")).all()
        for i, order in enumerate(o for o in paid if o.id not in used):
            if i >= 4:
                break
            cases[f"paid_{i}"] = _case(s, order)
        assert s.scalars(select(OrderLine).limit(1)).first() is not None
    return cases
