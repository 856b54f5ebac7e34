"""kefu.rasa_stores: a tracker store that cannot be created stops Rasa (#15, item 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from kefu import rasa_stores
from kefu.trackers import KefuTrackerStore
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
STORE = "kefu.trackers.KefuTrackerStore"
# MariaDB runs here, but no MySQL driver is installed: SQLAlchemy raises ImportError
NO_DRIVER_URL = "mysql://kefu:s3cret-pw@127.0.0.1:3306/kefu_audit1516"


class BrokenStore(KefuTrackerStore):
    """A store whose constructor raises AttributeError (a bug, a missing setting)."""

    def __init__(self, *args, **kwargs) -> None:
        raise AttributeError("'NoneType' object has no attribute 'database'")


@pytest.fixture(scope="module", autouse=True)
def installed():
    rasa_stores.install()
    assert rasa_stores.install() is False


def _create(type_: str, url: str):
    return TrackerStore.create(EndpointConfig(url=url, type=type_), Domain.empty())


@pytest.mark.parametrize(
    ("type_", "url", "named"),
    [
        (STORE, NO_DRIVER_URL, "MySQLdb"),
        (f"{__name__}.BrokenStore", "sqlite:///unused.db", "AttributeError"),
        ("kefu.trackers.NoSuchStore", "sqlite:///unused.db", "NoSuchStore"),
    ],
)
def test_a_store_that_cannot_be_created_is_an_error_not_an_in_memory_store(type_, url, named):
    with pytest.raises(rasa_stores.TrackerStoreSetupError) as raised:
        _create(type_, url)
    message = str(raised.value)
    assert type_ in message and named in message and "KEFU_TRACKER_URL" in message
    assert "\n" not in message
    assert "s3cret-pw" not in message  # the URL is shown without its password


def test_a_store_that_can_be_created_still_is(tmp_path):
    store = _create(STORE, f"sqlite:///{tmp_path / 'tracker.db'}")
    assert isinstance(getattr(store, "_tracker_store", store), KefuTrackerStore)
    assert not isinstance(store, InMemoryTrackerStore)


def test_rasa_refuses_to_start_without_its_tracker_store(tmp_path):
    """The real launcher: the tracker store is created before the model is read, so an
    empty model file is enough; Rasa must stop on the store, never serve from memory."""
    from kefu.bot.commands import rasa_env

    model = tmp_path / "empty.tar.gz"
    model.write_bytes(b"")
    env = rasa_env("http://127.0.0.1:1/webhook", base={**os.environ, "KEFU_VAR_DIR": str(tmp_path)})
    env.update({"KEFU_TRACKER_URL": NO_DRIVER_URL, "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-m", "kefu.rasa_main", "run", "--endpoints", "bot/endpoints.yml"]
        + ["-m", str(model), "-i", "127.0.0.1", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "InMemoryTrackerStore" not in output
    said = [line for line in output.splitlines() if "TrackerStoreSetupError: kefu:" in line]
    assert said and "MySQLdb" in said[-1], output[-3000:]  # the one line Rasa prints
