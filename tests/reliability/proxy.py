"""A TCP proxy on loopback that a test can cut and restore, or make hold answers.

It stands between a server (PostgreSQL, Redis, the action server) and its client, so a
test can make the server unreachable without stopping the machine's server:
:meth:`TcpProxy.stop` closes the listening socket and every open connection (the client
sees its connections break and new ones refused), :meth:`TcpProxy.start` listens again on
the same port. With ``hold = True`` the requests still reach the server but its answers
are kept back; when the server dies, the client's connection is closed without an answer,
as the client of a server killed in the middle of a request sees it.
"""

from __future__ import annotations

import socket
import threading

from tests.support.servers import free_port


class TcpProxy:
    """Forward ``127.0.0.1:port`` to ``127.0.0.1:target_port``."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.hold = False
        self.held_requests = 0  # requests forwarded while holding answers
        self._server: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url_port(self) -> str:
        return str(self.port)

    def start(self) -> TcpProxy:
        """Listen (again) on :attr:`port`."""
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and break every open one."""
        if self._server is not None:
            # shutdown wakes the thread blocked in accept(); close alone leaves it listening
            _close(self._server)
            self._server = None
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            _close(sock)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._sockets |= {client, upstream}
        threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
        self._pump(upstream, client, True)

    def _pump(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if answers and self.hold:
                    continue  # kept back: the client never gets it
                if not answers and self.hold:
                    self.held_requests += 1
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)
            with self._lock:
                self._sockets -= {src, dst}


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
