"""The replica set :mod:`benchmarks.replicas` measures: started, read, stopped.

Built with :func:`kefu.commands.replicas.plan` and :mod:`kefu.nginx`, as ``kefu run
--replicas 2`` builds it, with two Rasa doors: ``one`` (replica 0) and ``two`` (both).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLOOR_DIR = ROOT / "benchmarks" / "floor_bot"
PG_URL = os.environ.get("KEFU_BENCH_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KEFU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
START_TIMEOUT = 600.0


@contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database on :data:`PG_URL`'s server (dropped afterwards)."""
    from kefu.scratchdb import scratch_database

    with scratch_database(PG_URL, "kefu_bench") as url:
        yield url


def train_floor() -> Path:
    """The floor bot's model, trained once per content of ``benchmarks/floor_bot``."""
    import rasa

    from kefu.bot import rasa_executable
    from kefu.settings import get_settings

    digest = hashlib.sha256(rasa.__version__.encode())
    for path in sorted(FLOOR_DIR.rglob("*.yml")):
        digest.update(path.relative_to(FLOOR_DIR).as_posix().encode() + path.read_bytes())
    out = get_settings().ensure_var() / "bench" / "floor-model" / digest.hexdigest()[:16]
    model = out / "floor.tar.gz"
    if model.exists():
        return model
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            rasa_executable(),
            "train",
            "--config",
            str(FLOOR_DIR / "config.yml"),
            "--domain",
            str(FLOOR_DIR / "domain.yml"),
            "--data",
            str(FLOOR_DIR / "data"),
            "--out",
            str(out),
            "--fixed-model-name",
            "floor",
        ],  # fmt: skip
        cwd=out,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        check=True,
        capture_output=True,
    )
    return model


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each named group of processes (this process: its own)."""
    out = {name: sum(_cpu(p) for p in group) for name, group in pids.items()}
    out["load_generator"] = time.process_time()
    return out


def check_stored(tracker_url: str, senders: list[str], sent: dict[str, list[str]]) -> int:
    """Conversations whose stored events are wrong: user messages lost, stored twice or out
    of order, an event stored twice, or a message handled before the previous one's turn
    ended (``action_listen``). Replies are not counted against bot events: the channel
    sends a product list as more than one message."""
    import sqlalchemy as sa

    engine = sa.create_engine(tracker_url)
    problems = 0
    try:
        with engine.connect() as conn:
            for sender in senders:
                rows = conn.execute(
                    sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                    {"s": sender},
                ).all()
                events = [json.loads(r.data) for r in rows]
                texts = [e.get("text") for e in events if e["event"] == "user"]
                distinct = {json.dumps(e, sort_keys=True) for e in events}
                problems += texts != sent[sender] or len(distinct) != len(events)
                problems += not _one_turn_at_a_time(events)
    finally:
        engine.dispose()
    return problems


def _one_turn_at_a_time(events: list[dict[str, Any]]) -> bool:
    open_turn = False
    for event in events:
        if event["event"] == "user":
            if open_turn:
                return False
            open_turn = True
        elif event["event"] == "action" and event.get("name") == "action_listen":
            open_turn = False
    return True


class BenchSet:
    """Two Rasa replicas (+ one action server when ``with_actions``) behind nginx."""

    def __init__(self, model: Path, tracker_url: str, with_actions: bool) -> None:
        self.model, self.tracker_url, self.with_actions = model, tracker_url, with_actions
        self.secret = secrets.token_hex(16)
        self.headers = {"X-Kefu-Channel-Secret": self.secret}
        self.start_s = 0.0
        self.token = secrets.token_hex(16)

    @staticmethod
    def missing() -> str | None:
        """Why the benchmark cannot run here (no nginx, PostgreSQL or Redis), or ``None``."""
        import redis  # type: ignore[import-untyped]
        import sqlalchemy as sa

        from kefu.nginx import NginxMissing, find_nginx

        try:
            find_nginx()
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
            engine = sa.create_engine(PG_URL)
            with engine.connect():
                pass
            engine.dispose()
        except (NginxMissing, redis.exceptions.RedisError, sa.exc.SQLAlchemyError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def door(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def action_calls(self) -> int:
        """Requests the action server got so far (lines of nginx's access log of its door)."""
        log = Path(self.tmp.name) / "nginx" / "access-actions.log"
        if not log.is_file():
            return 0
        with log.open("rb") as lines:
            return sum(1 for _ in lines)

    def pids(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for n, service in enumerate(self.rs.rasa):
            out[f"rasa{n}"] = [service.process.pid] if service.process else []
        if self.rs.actions and self.rs.actions[0].process:
            out["actions"] = [self.rs.actions[0].process.pid]
        if self.front.process:
            out["nginx"] = [self.front.process.pid, *_children(self.front.process.pid)]
        return out

    def __enter__(self) -> BenchSet:
        from kefu import nginx
        from kefu.commands.processes import Supervisor, free_port
        from kefu.commands.replicas import nginx_service, plan, start_and_wait
        from kefu.tracker_schema import pool_sizes

        self.ports = {name: free_port() for name in ("one", "two", "sticky", "actions")}
        self.tmp = tempfile.TemporaryDirectory(prefix="kefu-bench-replicas-")
        prefix, logs = Path(self.tmp.name) / "nginx", Path(self.tmp.name) / "logs"
        env = {
            "KEFU_TRACKER_URL": self.tracker_url,
            "KEFU_REDIS_URL": REDIS_URL,
            "KEFU_CHANNEL_SECRET": self.secret,
        }
        self.supervisor = Supervisor()
        with _environ(env):
            self.rs = plan(
                self.model,
                replicas=2,
                actions=1 if self.with_actions else 0,
                sites=0,
                token=self.token,
                rasa_url=self.door("two"),
                action_url=f"{self.door('actions')}/webhook",
                pool=pool_sizes(2),
                logs=logs,
            )
            rasa = [f"127.0.0.1:{p}" for p in self.rs.rasa_ports]
            doors = [
                nginx.Door("one", f"127.0.0.1:{self.ports['one']}", (rasa[0],)),
                nginx.Door("two", f"127.0.0.1:{self.ports['two']}", tuple(rasa)),
                nginx.Door("sticky", f"127.0.0.1:{self.ports['sticky']}", tuple(rasa), "sticky"),
            ]
            if self.rs.action_ports:
                backends = tuple(f"127.0.0.1:{p}" for p in self.rs.action_ports)
                doors.append(nginx.Door("actions", f"127.0.0.1:{self.ports['actions']}", backends))
            conf = nginx.write_config(prefix, doors)
            self.front = nginx_service(conf, f"{self.door('one')}{nginx.HEALTH_PATH}", logs)
            started = time.perf_counter()
            start_and_wait(self.supervisor, [self.front, *self.rs.services], START_TIMEOUT)
            self.start_s = round(time.perf_counter() - started, 1)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.supervisor.stop_all()
        self.tmp.cleanup()
