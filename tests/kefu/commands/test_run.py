"""``kefu run``: starts the three servers, serves the chat, and Ctrl-C stops them all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kefu.commands.processes import port_in_use
from tests.support.servers import ROOT, free_port

KEFU = [str(Path(sys.executable).with_name("kefu"))]  # the console script, as make runs it


def read_until(process: subprocess.Popen, pattern: str, timeout: float) -> str:
    """Read the process's output until ``pattern`` appears; everything read so far."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen += line
        if re.search(pattern, seen):
            return seen
    raise AssertionError(f"no {pattern!r} in the output of kefu run:\n{seen}")


def _tree_cmdlines(root: int) -> dict[int, str]:
    """Command lines (as ``ps`` shows them) of ``root`` and every process under it, by
    process id; the servers run in process groups of their own, so the tree is followed
    by parent id."""
    parents: dict[int, int] = {}
    lines: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            parents[int(proc.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
            lines[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
    tree, grown = {root}, True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        grown = bool(found)
        tree |= found
    return {pid: lines[pid] for pid in tree if pid in lines}


def _environ(pid: int) -> dict[str, str]:
    """The environment a process started with."""
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def test_run_serves_the_chat_and_ctrl_c_stops_everything(bot_env, bot_model):
    ports = {"--port": free_port(), "--rasa-port": free_port(), "--actions-port": free_port()}
    args = [f"{k}={v}" for k, v in ports.items()]
    process = subprocess.Popen(
        [*KEFU, "run", "--model", str(bot_model), *args],
        cwd=ROOT,
        env={**bot_env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out = read_until(process, r"kefu is up: open (http://\S+)", 120)
        url = re.search(r"kefu is up: open (http://\S+)", out).group(1)
        assert url == f"http://127.0.0.1:{ports['--port']}/"
        assert "staff password" in out and "demo customers sign in" in out
        assert 'id="kefu-chat"' in requests.get(url, timeout=10).text
        staff = (Path(bot_env["KEFU_VAR_DIR"]) / "staff_password").read_text().strip()
        assert staff not in out and "staff_password" in out  # where it is, not what it is
        read_until(process, r"chat ready", 300)
        # no secret in any child's command line (ps shows them to every local user)
        secrets_ = [bot_env[k] for k in ("KEFU_ACTION_TOKEN", "KEFU_CHANNEL_SECRET")]
        tree = _tree_cmdlines(process.pid)
        children = list(tree.values())
        assert len(children) >= 3 and not any("auth-token" in c for c in children)
        # the action server announces new hand-offs to this site, with a secret of this run
        actions = _environ(next(p for p, c in tree.items() if "-m actions.server" in c))
        site = _environ(next(p for p, c in tree.items() if "-m web " in c))
        assert actions["KEFU_SITE_URL"] == url[:-1]
        announce = actions["KEFU_ANNOUNCE_SECRET"]
        assert len(announce) >= 32 and site["KEFU_ANNOUNCE_SECRET"] == announce
        secrets_.append(announce)
        assert not any(s in c for s in secrets_ + [staff] for c in children)
        session = requests.Session()
        reply = session.post(
            url + "chat/message",
            json={"message": "hello"},
            headers={"Origin": url[:-1]},
            timeout=60,
        )
        assert reply.status_code == 200 and reply.json()["messages"]
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert process.wait(timeout=60) == 0
        assert "kefu: stopped" in process.stdout.read()
        for port in ports.values():
            assert not port_in_use("127.0.0.1", port), port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("option", ["--port", "--rasa-port", "--actions-port"])
def test_run_refuses_a_busy_port_at_once(option, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*KEFU, "run", f"{option}={port}"],
            cwd=ROOT,
            env={**os.environ, "KEFU_VAR_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr and option in result.stderr
    assert not (tmp_path / "shop.db").exists()  # nothing was built


def test_api_token_is_one_argument_even_when_it_starts_with_a_dash():
    import argparse

    from rasa.cli.arguments.run import add_server_arguments

    from kefu.commands.run import api_env
    from kefu.rasa_main import rasa_arguments

    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    for token in ("-Xy_9", "--abc", "plain0123"):
        args = parser.parse_args(rasa_arguments(["run"], api_env(token))[1:])
        assert args.enable_api is True
        assert args.auth_token == token


def test_no_secret_on_the_command_line(tmp_path, monkeypatch):
    """The Rasa server's command line holds no token (ps shows it to every local user)."""
    from kefu.bot import server_command

    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    token = "tok-" + "z" * 30
    cmd = server_command(tmp_path / "model.tar.gz", 5005)
    assert not any(token in a or "auth-token" in a for a in cmd)
    from kefu.rasa_main import rasa_arguments

    assert "--auth-token" not in " ".join(rasa_arguments(cmd[3:], {}))


def test_the_action_server_announces_to_the_site_it_runs_with():
    from kefu.commands.run import announce_env

    first, second = announce_env("0.0.0.0", 8000), announce_env("127.0.0.1", 8001)
    assert first["KEFU_SITE_URL"] == "http://127.0.0.1:8000"  # a wildcard: loopback
    assert second["KEFU_SITE_URL"] == "http://127.0.0.1:8001"
    assert announce_env("::1", 9000)["KEFU_SITE_URL"] == "http://[::1]:9000"
    assert announce_env("10.0.0.5", 9000)["KEFU_SITE_URL"] == "http://10.0.0.5:9000"
    # a secret of its own on each run, long enough for the settings
    assert first["KEFU_ANNOUNCE_SECRET"] != second["KEFU_ANNOUNCE_SECRET"]
    assert len(first["KEFU_ANNOUNCE_SECRET"]) >= 32


def test_the_replica_sets_action_servers_and_sites_share_the_announce(tmp_path, monkeypatch):
    from kefu.commands.replicas import plan
    from kefu.commands.run import announce_env

    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("KEFU_REDIS_URL", raising=False)
    announce = announce_env("0.0.0.0", 8080)
    rs = plan(
        tmp_path / "model.tar.gz",
        replicas=1,
        actions=2,
        sites=2,
        token="t" * 32,
        rasa_url="http://127.0.0.1:5100",
        action_url="http://127.0.0.1:5150/webhook",
        pool=(5, 10),
        logs=tmp_path,
        announce=announce,
    )
    for service in [*rs.actions, *rs.sites]:
        assert {k: service.env[k] for k in announce} == announce, service.name
    assert announce["KEFU_SITE_URL"] == "http://127.0.0.1:8080"  # nginx's site door
    assert "KEFU_ANNOUNCE_SECRET" not in rs.rasa[0].env  # Rasa has no use for it
