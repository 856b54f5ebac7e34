"""A replica set as ``kefu run --replicas 2`` builds it: two Rasa replicas on one fresh
PostgreSQL tracker store and the Redis lock store, one action server, behind a real nginx.

The backends come from :func:`kefu.commands.replicas.plan` and nginx from
:mod:`kefu.nginx`; the two replicas boot at the same moment on an empty database (no
table made beforehand: :class:`kefu.trackers.KefuTrackerStore` must not race on it).
nginx has three doors to the same replicas: ``rr`` (round-robin), ``sticky``
(``hash $cookie_kefu_session consistent``) and ``actions``; each door logs the backend of
every request in its own access log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.commands.processes import Service, Supervisor, free_port
from tests.reliability.conftest import pg_tracker_db, redis_url  # noqa: F401 - fixtures
from tests.support.servers import _with_env

REDIS_DB = 9


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    from kefu.nginx import NginxMissing, find_nginx

    try:
        return find_nginx()
    except NginxMissing as exc:
        pytest.skip(str(exc))


@dataclass
class Replicas:
    """The running set: direct backend URLs, nginx doors, the API token, the logs."""

    rasa: list[str]  # direct URLs of replica 0 and 1
    doors: dict[str, str]  # door name -> nginx URL
    token: str
    env: dict[str, str]
    tracker_url: str
    prefix: Path  # nginx's directory (access-<door>.log)
    services: list[Service]

    def access_log(self, door: str) -> Path:
        return self.prefix / f"access-{door}.log"

    @property
    def channel_headers(self) -> dict[str, str]:
        return {"X-Kefu-Channel-Secret": self.env["KEFU_CHANNEL_SECRET"]}


@pytest.fixture(scope="module")
def replicas(
    bot_env: dict[str, str],
    bot_model: Path,
    pg_tracker_db: str,  # noqa: F811
    redis_url: str,  # noqa: F811
    nginx_bin: str,
) -> Iterator[Replicas]:
    from kefu import nginx
    from kefu.commands.replicas import nginx_service, plan, start_and_wait
    from kefu.tracker_schema import pool_sizes

    env = {**bot_env, "KEFU_TRACKER_URL": pg_tracker_db, "KEFU_REDIS_URL": redis_url}
    var = Path(bot_env["KEFU_VAR_DIR"])
    logs, prefix = var / "replica-logs", var / "nginx"
    token = os.urandom(16).hex()
    ports = {name: free_port() for name in ("rr", "sticky", "actions")}
    supervisor = Supervisor()
    with _with_env(env):
        rs = plan(
            bot_model,
            replicas=2,
            actions=1,
            sites=0,
            token=token,
            rasa_url=f"http://127.0.0.1:{ports['rr']}",
            action_url=f"http://127.0.0.1:{ports['actions']}/webhook",
            pool=pool_sizes(2),
            logs=logs,
        )
        rasa = tuple(f"127.0.0.1:{p}" for p in rs.rasa_ports)
        doors = [
            nginx.Door("rr", f"127.0.0.1:{ports['rr']}", rasa),
            nginx.Door("sticky", f"127.0.0.1:{ports['sticky']}", rasa, "sticky"),
            nginx.Door(
                "actions",
                f"127.0.0.1:{ports['actions']}",
                tuple(f"127.0.0.1:{p}" for p in rs.action_ports),
            ),
        ]
        conf = nginx.write_config(prefix, doors)
        front = nginx_service(conf, f"http://127.0.0.1:{ports['rr']}{nginx.HEALTH_PATH}", logs)
        try:
            start_and_wait(supervisor, [front, *rs.services], 300)
        except Exception as exc:  # noqa: BLE001 - CommandError carries the log tail
            pytest.fail(f"the replica set did not start: {exc}")
    try:
        yield Replicas(
            rasa=[f"http://127.0.0.1:{p}" for p in rs.rasa_ports],
            doors={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
            token=token,
            env=rs.rasa[0].env,
            tracker_url=pg_tracker_db,
            prefix=prefix,
            services=[front, *rs.services],
        )
    finally:
        supervisor.stop_all()
