"""nginx in front of the replicas: a generated configuration and the command that runs it.

One :class:`Door` is one nginx ``server`` block (an address nginx listens on) with its own
``upstream`` of backends. Routing is ``round-robin`` (nginx's default; safe for Rasa
because :class:`kefu.lockstore.AtomicRedisLockStore` serialises a conversation across
replicas) or ``sticky`` (:data:`STICKY`): every request that carries the same session cookie (the
site's door: socket.io long-polling needs it) or names the same conversation in
:data:`ROUTE_HEADER` (Rasa's door: the site sends it, so a replica's tracker cache stays
warm) reaches the same backend while it is up.

The configuration is self-contained under a prefix directory (pid, logs, temp files), runs
in the foreground (``daemon off``) and logs each request's backend (``$upstream_addr``),
never a cookie, one access log per door (``access-<name>.log``). ``deploy/nginx/kefu.conf`` is the same shape, written for a server.
"""

from __future__ import annotations

import getpass
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ROUTINGS = ("round-robin", "sticky")
# the site door: the browser's session cookie; Rasa's door: the conversation the site names
# (web.chat.route_headers); each request carries one of the two
ROUTE_HEADER = "X-Kefu-Conversation"
STICKY = "hash $cookie_kefu_session$http_x_kefu_conversation consistent;"
HEALTH_PATH = "/nginx-health"
# Debian's nginx-light puts the binary here (not on a normal user's PATH)
CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


class NginxMissing(RuntimeError):
    """No nginx binary was found."""


@dataclass(frozen=True)
class Door:
    """One address nginx listens on and the backends it spreads requests over.

    Attributes:
        name: upstream name (letters, digits, ``_``).
        listen: ``host:port`` nginx binds.
        backends: ``host:port`` of each backend.
        routing: ``round-robin`` or ``sticky`` (see the module docstring).
        websockets: pass ``Upgrade`` through (the site's socket.io).
        loopback_paths: path prefixes only loopback clients may reach (the site's
            ``/internal/`` door, which action servers on this machine call).
    """

    name: str
    listen: str
    backends: tuple[str, ...]
    routing: str = "round-robin"
    websockets: bool = False
    loopback_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.routing not in ROUTINGS:
            raise ValueError(f"routing must be one of {', '.join(ROUTINGS)}, got {self.routing!r}")
        if not self.name.replace("_", "").isalnum():
            raise ValueError(f"upstream name must be letters, digits or _, got {self.name!r}")
        if not self.backends:
            raise ValueError(f"door {self.name} has no backend")


def find_nginx() -> str:
    """Path of the nginx binary.

    Raises:
        NginxMissing: with what to install.
    """
    found = shutil.which("nginx") or next((c for c in CANDIDATES if os.access(c, os.X_OK)), None)
    if not found:
        raise NginxMissing(
            "nginx is not installed: on Debian/Ubuntu run 'apt-get install nginx-light' "
            "(make test and make bench do it when running as root)"
        )
    return found


def _upstream(door: Door) -> str:
    lines = [f"    upstream {door.name} {{"]
    if door.routing == "sticky":
        lines.append(f"        {STICKY}")
    lines += [f"        server {b} max_fails=0;" for b in door.backends]
    lines += ["        keepalive 32;", "    }"]
    return "\n".join(lines)


def _server(door: Door, prefix: Path) -> str:
    location = _location(door)
    guarded = "".join(
        f"        location {path} {{\n            allow 127.0.0.1;\n            allow ::1;\n"
        f"            deny all;\n{location}        }}\n"
        for path in door.loopback_paths
    )
    return f"""    server {{
        listen {door.listen};
        access_log {prefix / f"access-{door.name}.log"} kefu;
        location = {HEALTH_PATH} {{ access_log off; return 200 "ok\\n"; }}
{guarded}        location / {{
{location}        }}
    }}"""


def _location(door: Door) -> str:
    upgrade = (
        "            proxy_set_header Upgrade $http_upgrade;\n"
        "            proxy_set_header Connection $connection_upgrade;\n"
        if door.websockets
        else '            proxy_set_header Connection "";\n'
    )
    return f"""            proxy_pass http://{door.name};
            proxy_http_version 1.1;
{upgrade}            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 180s;
            proxy_buffering off;
"""


def render(prefix: Path, doors: list[Door], workers: int = 1) -> str:
    """The whole ``nginx.conf`` for ``doors``, with every file under ``prefix``."""
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    blocks = "\n\n".join(_upstream(d) + "\n" + _server(d, prefix) for d in doors)
    return f"""# generated by kefu (kefu.nginx): do not edit, it is rewritten on every start
{user}daemon off;
worker_processes {workers};
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 1024; }}

http {{
    log_format kefu '$time_iso8601 $request_method $uri $status $upstream_addr '
                    '$request_time $upstream_response_time';
    access_log {prefix / "access.log"} kefu;
{temp}
    client_max_body_size 1m;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}

{blocks}
}}
"""


def write_config(prefix: Path, doors: list[Door], workers: int = 1) -> Path:
    """Write :func:`render`'s configuration to ``prefix/nginx.conf`` (temp dirs made)."""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(render(prefix, doors, workers), encoding="utf-8")
    return conf


def command(conf: Path, nginx: str | None = None) -> list[str]:
    """Command line running ``conf`` in the foreground (stop it with SIGTERM or SIGQUIT)."""
    prefix = conf.parent
    return [
        nginx or find_nginx(),
        "-p",
        str(prefix),
        "-e",
        str(prefix / "error.log"),
        "-c",
        str(conf),
    ]


def check_command(conf: Path, nginx: str | None = None) -> list[str]:
    """Command line that only checks ``conf`` (``nginx -t``)."""
    return [*command(conf, nginx), "-t", "-q"]


def upstreams_used(access_log: Path) -> list[str]:
    """The backend (``$upstream_addr``) of each logged request, in order."""
    out = []
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 5:
            out.append(parts[4])
    return out


__all__ = [
    "HEALTH_PATH",
    "ROUTINGS",
    "ROUTE_HEADER",
    "STICKY",
    "Door",
    "NginxMissing",
    "command",
    "find_nginx",
    "render",
    "check_command",
    "upstreams_used",
    "write_config",
]
