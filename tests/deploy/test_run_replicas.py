"""``kefu run --replicas N`` refuses, with what to set, before it starts anything."""

from __future__ import annotations

import pytest

from kefu.cli import main


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    for key in ("KEFU_TRACKER_URL", "KEFU_REDIS_URL", "KEFU_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_without_shared_stores_it_names_both_settings(clean_env, capsys, tmp_path):
    assert main(["run", "--replicas", "2"]) == 1
    err = capsys.readouterr().err
    assert "KEFU_TRACKER_URL=postgresql://" in err and "KEFU_REDIS_URL=redis://" in err
    assert not (tmp_path / "nginx").exists()  # nothing written, nothing started


def test_sqlite_tracker_with_redis_is_still_refused(clean_env, capsys):
    clean_env.setenv("KEFU_REDIS_URL", "redis://127.0.0.1:6379/9")
    assert main(["run", "--replicas", "2"]) == 1
    err = capsys.readouterr().err
    assert "KEFU_TRACKER_URL=postgresql://" in err and "KEFU_REDIS_URL=" not in err


def test_unreachable_redis_is_a_clear_error(clean_env, capsys):
    from tests.support.servers import free_port

    clean_env.setenv("KEFU_TRACKER_URL", "postgresql://root@127.0.0.1:5432/test")
    clean_env.setenv("KEFU_REDIS_URL", f"redis://127.0.0.1:{free_port()}/9")
    assert main(["run", "--replicas", "2"]) == 1
    assert "Redis at KEFU_REDIS_URL does not answer" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags", [["--replicas", "0"], ["--replicas", "2", "--site-replicas", "0"]]
)
def test_counts_out_of_range_are_refused(clean_env, capsys, flags):
    assert main(["run", *flags]) == 1
    assert "must be between 1 and" in capsys.readouterr().err
