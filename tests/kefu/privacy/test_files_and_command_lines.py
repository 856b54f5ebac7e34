"""State on disk is private to kefu's user; the Rasa server kefu starts stays closed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from kefu.commands.run import api_env, rasa_argv
from kefu.rasa_main import rasa_arguments
from kefu.settings import Settings
from tests.support.servers import ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_kefu_commands_make_var_0700_and_every_database_and_secret_0600(tmp_path):
    """A real ``kefu`` run (database, secret) then a tracker store in WAL mode, both under
    the umask kefu sets: no file readable by anyone else."""
    var = tmp_path / "var"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KEFU_VAR_DIR": str(var),
        "KEFU_DATABASE_URL": f"sqlite:///{var / 'shop.db'}",
        "KEFU_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
    }
    env.pop("KEFU_TOKEN_SECRET", None)
    code = (
        "import os, sys\n"
        "os.umask(0o022)\n"  # the usual umask: world-readable files without kefu's rule
        "from kefu.cli import main\n"
        "assert main(['db', 'init']) == 0\n"
        "from kefu.identity import get_secret\n"
        "get_secret()\n"
        "import asyncio\n"
        "from rasa.shared.core.domain import Domain\n"
        "from rasa.shared.core.events import UserUttered\n"
        "from kefu.trackers import KefuTrackerStore\n"
        f"store = KefuTrackerStore(domain=Domain.empty(), host={env['KEFU_TRACKER_URL']!r})\n"
        "t = asyncio.run(store.get_or_create_tracker('x'))\n"
        "t.update(UserUttered('hi'))\n"
        "asyncio.run(store.save(t))\n"
        "open(os.path.join(os.environ['KEFU_VAR_DIR'], 'WAL-SEEN'), 'w').write(\n"
        "    ' '.join(sorted(os.listdir(os.environ['KEFU_VAR_DIR']))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = (var / "WAL-SEEN").read_text().split()
    assert {"shop.db", "tracker.db", "secret.key", "tracker.db-wal", "tracker.db-shm"} <= set(
        seen
    ), seen
    assert _mode(var) == 0o700
    for path in var.rglob("*"):
        if path.is_file():
            assert _mode(path) & 0o077 == 0, f"{path} is {oct(_mode(path))}"
        else:
            assert _mode(path) & 0o077 == 0, f"{path}/ is {oct(_mode(path))}"


def test_ensure_var_closes_a_state_directory_made_before(tmp_path):
    var = tmp_path / "old-var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    for name in ("shop.db", "shop.db-wal", "tracker.db-shm", "secret.key", "staff_password"):
        (var / name).write_text("x")
        (var / name).chmod(0o644)
    (var / "README").write_text("x")
    (var / "README").chmod(0o644)
    old = os.umask(0o022)
    try:
        Settings(var_dir=var).ensure_var()
        assert os.umask(0o022) == 0o077  # ensure_var set the private umask
    finally:
        os.umask(old)
    assert _mode(var) == 0o700
    for name in ("shop.db", "shop.db-wal", "tracker.db-shm", "secret.key", "staff_password"):
        assert _mode(var / name) == 0o600, name
    assert _mode(var / "README") == 0o644  # not a database or secret: left alone


def test_the_rasa_server_kefu_run_starts_is_on_loopback_with_a_token_and_no_cors(tmp_path):
    argv = rasa_argv(tmp_path / "model.tar.gz", 5005)
    assert argv[argv.index("--interface") + 1] == "127.0.0.1"
    assert not any("t0ken" in arg for arg in argv)  # the token is not on the command line
    effective = rasa_arguments(argv[3:], api_env("t0ken"))  # what Rasa sees in-process
    assert "--enable-api" in effective and "--auth-token=t0ken" in effective
    assert not any(arg.startswith("--cors") for arg in [*argv, *effective])
    assert argv[1:3] == ["-m", "kefu.rasa_main"]  # redacted logs, private files
