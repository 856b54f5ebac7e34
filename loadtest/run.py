"""Start kefu, load it with Locust, count the tracker store: one JSON summary.

``python -m loadtest.run`` (kefu's venv) runs ``kefu run`` on free loopback ports with its
own state directory (``--var``, default ``var/loadtest``; a fresh tracker store each run),
on SQLite, or with ``--postgres`` on a fresh PostgreSQL database (shop and tracker) and
Redis locks. It builds the demo shop and the recommender there when missing, then runs
Locust (its own virtualenv, :mod:`loadtest.venv`) with half the customers on the site's
chat API and half on kefu's Rasa channel, samples each server's resident memory, stops
kefu and counts the tracker store (:mod:`loadtest.check`).

The site's chat rate limit (``KEFU_CHAT_RATE``) is raised for the run: every simulated
customer comes from 127.0.0.1, which the per-address limit would otherwise turn into 429s.

Examples::

    python -m loadtest.run --users 100 --time 10m --out benchmarks/load-sqlite.json
    python -m loadtest.run --users 100 --time 10m --postgres --out benchmarks/load-pg.json
    python -m loadtest.run --users 20 --time 30m --rss-every 60 --out benchmarks/soak.json

Exit code 0 when nothing was lost, duplicated or reordered and no request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from loadtest import check, rss, venv

ROOT = Path(__file__).resolve().parent.parent
DEMO_SIZES = {"customers": 400, "order_lines": 4000, "reviews": 1000}
POSTGRES_ADMIN = os.environ.get("KEFU_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
REDIS = os.environ.get("KEFU_LOADTEST_REDIS", "redis://127.0.0.1:6379/7")
TOKENS = 50  # signed-in customers the REST customers speak as
READY_TIMEOUT = 600.0


def seconds(text: str) -> float:
    """``90``, ``90s``, ``10m`` or ``1h`` in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)


@contextmanager
def postgres_database(enabled: bool) -> Iterator[str | None]:
    """A fresh PostgreSQL database (dropped afterwards), or ``None`` when not asked."""
    if not enabled:
        yield None
        return
    from kefu.scratchdb import scratch_database

    with scratch_database(POSTGRES_ADMIN, "kefu_load") as url:
        yield url


def kefu_env(var: Path, pg_url: str | None) -> dict[str, str]:
    """Environment of kefu for the run (also set in this process, for the shop set-up)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(
        KEFU_VAR_DIR=str(var),
        KEFU_DATABASE_URL=pg_url or f"sqlite:///{var / 'shop.db'}",
        KEFU_TRACKER_URL=pg_url or f"sqlite:///{var / 'tracker.db'}",
        KEFU_TOKEN_SECRET="load-" + secrets.token_hex(16),
        KEFU_CHANNEL_SECRET="load-" + secrets.token_hex(16),
        KEFU_ACTION_TOKEN="load-" + secrets.token_hex(16),
        KEFU_CHAT_RATE="100000",  # every customer is 127.0.0.1: see the module doc
        PYTHONPATH=str(ROOT),
    )
    if pg_url:
        env["KEFU_REDIS_URL"] = REDIS
    return env


def prepare_shop(env: dict[str, str]) -> list[str]:
    """Build the demo shop and its recommender when missing (``env`` given: our own kefu);
    signed tokens of customers with orders."""
    os.environ.update(env)
    import sqlalchemy as sa

    from kefu.clock import today_in
    from kefu.identity import issue_token
    from kefu.recommender import train_from_db
    from kefu.settings import get_settings
    from kefu.shop.db import get_engine, is_initialised
    from kefu.shop.demo import build_demo

    url = get_settings().database_url
    if env and not is_initialised(url):
        build_demo(url, seed=42, reference_date=today_in(), progress=False, **DEMO_SIZES)
    if env:
        train_from_db(url)
    with get_engine(url).connect() as conn:
        ids = conn.execute(
            sa.text("SELECT DISTINCT customer_id FROM orders ORDER BY customer_id LIMIT :n"),
            {"n": TOKENS},
        ).scalars()
        return [issue_token(i, 4 * 3600) for i in ids]


def start_kefu(env: dict[str, str], model: Path | None, log: Path) -> tuple[Any, dict[str, int]]:
    """``kefu run`` on free ports; returns when the chat is ready."""
    from kefu.commands.processes import free_port

    ports = {"site": free_port(), "rasa": free_port(), "actions": free_port()}
    cmd = [sys.executable, "-m", "kefu.cli", "run", "--port", str(ports["site"])]
    cmd += ["--rasa-port", str(ports["rasa"]), "--actions-port", str(ports["actions"])]
    if model is not None:
        cmd += ["--model", str(model)]
    out = log.open("wb")  # a fresh log: "chat ready" from an earlier run must not count
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kefu run exited ({proc.returncode}): see {log}")
        if "chat ready" in log.read_text(errors="replace"):
            return proc, ports
        time.sleep(1)
    stop_kefu(proc)
    raise RuntimeError(f"kefu run was not ready in {READY_TIMEOUT:.0f} s: see {log}")


def stop_kefu(proc: Any) -> None:
    """Ctrl-C to ``kefu run`` (it stops its servers), then the whole group if needed."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_locust(args: argparse.Namespace, extra: dict[str, str]) -> int:
    locust = venv.ensure()
    cmd = [str(locust), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless"]
    safety = f"{seconds(args.time) + 180:.0f}s"  # the locustfile quits before (see its doc)
    cmd += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", safety]
    cmd += ["--stop-timeout", "120", "--only-summary", "--csv", str(args.csv)]
    cmd += ["--loglevel", "WARNING"]
    locust_env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_LOADTEST")}
    locust_env.pop("PYTHONPATH", None)
    locust_env.update(extra)
    return subprocess.run(cmd, cwd=ROOT, env=locust_env, check=False).returncode


def stats(csv_prefix: Path) -> dict[str, Any]:
    """The Locust figures per request name and aggregated."""
    out: dict[str, Any] = {}
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            out[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": _num(row["50%"]),
                "p95_ms": _num(row["95%"]),
                "p99_ms": _num(row["99%"]),
                "max_ms": _num(row["Max Response Time"]),
                "rps": round(float(row["Requests/s"]), 2),
            }
    return out


def _num(text: str) -> float | None:
    return None if text in ("", "N/A") else round(float(text))


def healthy(site: str) -> bool:
    """Whether the site still answers its health check."""
    try:
        with urllib.request.urlopen(f"{site}/healthz", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m loadtest.run", description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=100, help="concurrent customers (100)")
    p.add_argument("--time", default="10m", help="run time, e.g. 60s, 10m (10m)")
    p.add_argument("--spawn-rate", type=float, default=2.0, help="customers started per second")
    p.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    p.add_argument("--var", type=Path, help="kefu's state dir (var/loadtest-BACKEND)")
    p.add_argument("--model", type=Path, help="a trained bot model (default: kefu run trains)")
    p.add_argument("--rss-every", type=float, default=60.0, help="seconds between RSS samples")
    p.add_argument("--rss-window", type=float, default=1200.0, help="growth window (20 min)")
    p.add_argument("--out", type=Path, help="write the JSON summary here too")
    p.add_argument("--site", help="load a running kefu: its site's URL (no kefu started)")
    p.add_argument("--rasa", help="load a running kefu: its Rasa server's URL")
    args = p.parse_args(argv)
    if args.users < 1 or args.users > 500 or seconds(args.time) > 4 * 3600:
        p.error("--users must be 1 to 500 and --time at most 4h")
    return args


@dataclass
class Target:
    """What Locust loads and the checker counts."""

    site: str
    rasa: str
    channel_secret: str
    tokens: list[str]
    tracker_url: str
    pid: int | None  # ``kefu run`` (its servers' memory is sampled), ``None``: not ours


@contextmanager
def own_kefu(args: argparse.Namespace, var: Path) -> Iterator[Target]:
    """``kefu run`` on free ports with its own state dir (and database), stopped after."""
    for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm"):
        (var / name).unlink(missing_ok=True)  # a fresh tracker store each run
    with postgres_database(args.postgres) as pg_url:
        env = kefu_env(var, pg_url)
        tokens = prepare_shop(env)
        proc, ports = start_kefu(env, args.model, var / "kefu-run.log")
        try:
            yield Target(
                f"http://127.0.0.1:{ports['site']}",
                f"http://127.0.0.1:{ports['rasa']}",
                env["KEFU_CHANNEL_SECRET"],
                tokens,
                env["KEFU_TRACKER_URL"],
                proc.pid,
            )
        finally:
            stop_kefu(proc)


@contextmanager
def deployment(args: argparse.Namespace) -> Iterator[Target]:
    """A running kefu named by ``--site``/``--rasa``, configured by this environment
    (``KEFU_TRACKER_URL``, ``KEFU_CHANNEL_SECRET``, ``KEFU_DATABASE_URL``...)."""
    from kefu.identity import channel_secret
    from kefu.settings import get_settings

    try:
        tokens = prepare_shop({})
    except Exception as exc:  # noqa: BLE001 - customers then speak without a token
        print(f"kefu load test: no customer tokens ({exc}); anonymous customers", file=sys.stderr)
        tokens = []
    yield Target(
        args.site or "", args.rasa or "", channel_secret(), tokens, get_settings().tracker_url, None
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    backend = "pg" if args.postgres else "sqlite"
    var: Path = (args.var or ROOT / "var" / f"loadtest-{backend}").resolve()
    var.mkdir(parents=True, exist_ok=True)
    args.csv = var / "locust"
    messages = var / "messages.jsonl"
    messages.unlink(missing_ok=True)
    venv.ensure()  # before kefu starts: a registry problem shows at once
    started = datetime.now(timezone.utc)
    ours = not (args.site or args.rasa)
    with own_kefu(args, var) if ours else deployment(args) as target:
        sampler = rss.Sampler(target.pid, args.rss_every).start()
        try:
            extra = {
                "KEFU_LOADTEST_SITE": target.site,
                "KEFU_LOADTEST_RASA": target.rasa,
                "KEFU_LOADTEST_CHANNEL_SECRET": target.channel_secret,
                "KEFU_LOADTEST_TOKENS": ",".join(target.tokens),
                "KEFU_LOADTEST_LOG": str(messages),
                "KEFU_LOADTEST_SECONDS": str(seconds(args.time)),
            }
            load = os.getloadavg()
            code = run_locust(args, extra)
            load_after = os.getloadavg()
            time.sleep(3)  # replies already sent: their events are stored
            alive = healthy(target.site) if target.site else None
        finally:
            samples = sampler.stop()
        counts = check.count(str(messages), target.tracker_url)
    summary = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "backend": ("postgresql+redis" if args.postgres else "sqlite") if ours else "deployment",
        "users": args.users,
        "time": args.time,
        "load_average_before": [round(x, 2) for x in load],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "locust_exit": code,
        "site_healthy_after": alive,
        "stats": stats(args.csv),
        "store": counts,
        "rss_mb": samples,
        "rss_growth_pct": rss.growth(samples, args.rss_window),
    }
    text = json.dumps(summary, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if failed(summary) else 0


def failed(summary: dict[str, Any]) -> bool:
    """Whether a request failed or the tracker store disagrees with the customers."""
    failures = summary["stats"].get("Aggregated", {}).get("failures", 1)
    return bool(check.failed(summary["store"]) or failures or summary["store"]["errors"])


if __name__ == "__main__":
    sys.exit(main())
