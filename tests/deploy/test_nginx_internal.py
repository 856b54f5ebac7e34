"""The site's ``/internal/`` door (the action servers' ticket announce) is reachable through
nginx from loopback only; every other path of the site door stays public. Real nginx, a real
backend, a request from this machine's own non-loopback address."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kefu import nginx
from kefu.commands.processes import free_port
from kefu.commands.replicas import INTERNAL_PATH
from web.internal import PREFIX


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"backend {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _outside_address() -> str | None:
    """This machine's address on a non-loopback interface (the source of a request to it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only picks the route's address
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, ConnectionError):  # not listening yet
        return 0, ""


@pytest.fixture
def site_door(tmp_path: Path) -> Iterator[int]:
    try:
        binary = nginx.find_nginx()
    except nginx.NginxMissing as exc:
        pytest.skip(str(exc))
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = free_port()
    door = nginx.Door(
        "site",
        f"0.0.0.0:{port}",
        (f"127.0.0.1:{backend.server_address[1]}",),
        "sticky",
        True,
        loopback_paths=(INTERNAL_PATH,),
    )
    conf = nginx.write_config(tmp_path, [door])
    proc = subprocess.Popen(nginx.command(conf, binary))
    try:
        deadline = time.monotonic() + 10
        while _get(f"http://127.0.0.1:{port}{nginx.HEALTH_PATH}")[0] != 200:
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        backend.shutdown()


def test_the_generated_door_guards_the_same_prefix_the_site_serves():
    assert INTERNAL_PATH == PREFIX


def test_internal_paths_answer_loopback_only(site_door: int):
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address to send from")
    announce = f"{INTERNAL_PATH}tickets/1/announce"
    assert _get(f"http://127.0.0.1:{site_door}{announce}") == (200, f"backend {announce}")
    assert _get(f"http://{outside}:{site_door}{announce}")[0] == 403
    # the rest of the site stays public, through the same door
    assert _get(f"http://{outside}:{site_door}/products") == (200, "backend /products")
    assert _get(f"http://{outside}:{site_door}/internalx") == (200, "backend /internalx")
