"""Every server kefu starts writes log lines without the customers' personal data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kefu.bot import rasa_env, server_command
from tests.support.servers import ROOT, RasaServer, _with_env, free_port

PHONE = "13812345678"
EMAIL = "li.wei.private@example.com"


def _start_up_log(module: str, argv: list[str], tmp_path: Path) -> str:
    """What ``python -m <module>``'s main logs when its server starts (the server itself
    replaced by one log line carrying a phone number and an e-mail)."""
    code = (
        "import logging, sys, sanic\n"
        "def run(self, *a, **k):\n"
        f"    logging.getLogger('{module}').warning('call %s or write to {EMAIL}', '{PHONE}')\n"
        "sanic.Sanic.run = run\n"
        f"from {module} import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEFU_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_the_site_redacts_its_log(tmp_path):
    log = _start_up_log("web.__main__", ["--port", "1"], tmp_path)
    assert "call [PHONE] or write to [EMAIL]" in log
    assert PHONE not in log and EMAIL not in log


def test_the_action_server_redacts_its_log(tmp_path):
    log = _start_up_log("actions.server", ["--port", "1"], tmp_path)
    assert "call [PHONE] or write to [EMAIL]" in log
    assert PHONE not in log and EMAIL not in log


def test_the_rasa_server_redacts_its_log_even_in_debug(bot_env, bot_model, action_server):
    """A real Rasa server as kefu starts it, in debug mode (it logs each message's text)."""
    port = free_port()
    with _with_env(bot_env):
        env = rasa_env(f"{action_server.url}/webhook", base=bot_env)
    log = Path(bot_env["KEFU_VAR_DIR"]) / "rasa-debug-redacted.log"
    server = RasaServer(
        name="rasa server (debug)",
        cmd=[*server_command(bot_model, port), "--debug"],
        env=env,
        port=port,
        health_url=f"http://127.0.0.1:{port}/",
        log_path=log,
    )
    server.start()
    try:
        server.send("log-redaction-1", f"my phone is {PHONE} and my e-mail is {EMAIL}")
    finally:
        server.stop()
    text = log.read_text(errors="replace")
    assert "log-redaction-1" in text  # debug logging of the message did happen
    assert "[PHONE]" in text and "[EMAIL]" in text
    assert PHONE not in text and EMAIL not in text
