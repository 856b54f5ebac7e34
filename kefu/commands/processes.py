"""Child processes of ``kefu run`` and ``kefu shell``: start, health-check, stop, free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kefu.settings import get_settings

HOST = "127.0.0.1"
STOP_TIMEOUT = 15.0


@dataclass
class Service:
    """A child process and the URL that answers once it is ready."""

    name: str
    argv: list[str]
    health_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the service's log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    """Starts services in their own process groups and stops every one it started."""

    def __init__(self) -> None:
        self.services: list[Service] = []

    def start(self, service: Service) -> Service:
        """Start ``service`` with its output going to its log file."""
        service.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(service.log_path, "wb") as log:
            service.process = subprocess.Popen(
                service.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **service.env},
                cwd=get_settings().root,
                start_new_session=True,
            )
        self.services.append(service)
        return service

    def dead(self) -> Service | None:
        """The first service whose process has exited, if any."""
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service
        return None

    def wait_ready(self, service: Service, timeout: float) -> bool:
        """Poll the health URL until it answers 200; ``False`` if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if service.process is None or service.process.poll() is not None:
                return False
            if http_ok(service.health_url):
                return True
            time.sleep(0.3)
        return False

    def stop_all(self) -> None:
        """SIGTERM every running service (newest first), then SIGKILL the stragglers."""
        running = [
            s.process for s in reversed(self.services) if s.process and s.process.poll() is None
        ]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        self.services.clear()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host if host != "0.0.0.0" else HOST, port)) == 0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]
