"""``kefu rasa ...``: Rasa's own commands on kefu's bot (domain directory, lookups, endpoints)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kefu.bot.rasa_cli import rasa_argv

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


def _after(argv: list[str], flag: str) -> list[str]:
    i = argv.index(flag)
    return argv[i + 1 : i + 3]


def test_train_gets_the_domain_directory_the_data_and_the_lookups(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    lookups = tmp_path / "lookups.yml"
    argv = rasa_argv(["train"], lookups=lookups)
    assert argv[1:4] == ["-m", "kefu.rasa_main", "train"]  # through kefu's launcher
    assert _after(argv, "--domain")[0] == str(BOT / "domain")
    config = Path(_after(argv, "--config")[0])
    assert config == tmp_path / "bot" / "config.yml"  # bot/config.yml, paths filled in
    sentiment = [
        c for c in yaml.safe_load(config.read_text("utf-8"))["pipeline"] if "Sentiment" in c["name"]
    ]
    assert Path(sentiment[0]["shipped_data"]).is_dir()
    assert sentiment[0]["model_dir"] == str(tmp_path / "models" / "sentiment")
    assert _after(argv, "--data") == [str(BOT / "data"), str(lookups)]
    assert _after(argv, "--out")[0] == str(tmp_path / "models" / "rasa")


def test_what_the_caller_gives_is_not_overridden(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    argv = rasa_argv(
        ["data", "validate", "--domain=mine", "-c", "c.yml", "--fail-on-warnings"],
        lookups=tmp_path / "l.yml",
    )
    assert "--config" not in argv and argv.count("-c") == 1
    assert not any(a == "--domain" for a in argv) and "--domain=mine" in argv
    assert "--data" in argv and "--fail-on-warnings" in argv


def test_shell_and_test_get_endpoints_stories_and_the_newest_model(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    models = tmp_path / "models" / "rasa"
    models.mkdir(parents=True)
    (models / "20240101-000000-old.tar.gz").write_bytes(b"x")
    newest = models / "20250101-000000-new.tar.gz"
    newest.write_bytes(b"x")
    shell = rasa_argv(["shell"])
    assert _after(shell, "--endpoints")[0] == str(BOT / "endpoints.yml")
    assert _after(shell, "--model")[0] == str(newest)
    test = rasa_argv(["test", "core"])
    assert _after(test, "--stories")[0] == str(BOT / "tests")
    assert _after(test, "--out")[0] == str(tmp_path / "rasa-results")
    assert rasa_argv(["run", "actions"])[-2:] == ["--actions", "actions"]
    assert rasa_argv(["shell", "--help"])[3:] == [
        "shell",
        "--help",
        "--endpoints",
        str(BOT / "endpoints.yml"),
    ]


def test_help_and_other_commands_pass_through_unchanged():
    assert rasa_argv(["--help"])[3:] == ["--help"]
    assert rasa_argv(["train", "--help"])[3:] == ["train", "--help"]
    assert rasa_argv(["--version"])[3:] == ["--version"]


def _kefu_rasa(args: list[str], env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli", "rasa", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
@pytest.mark.integration
def test_rasa_validate_and_train_work_through_kefu_rasa(bot_env, tmp_path):
    proc = _kefu_rasa(["data", "validate", "--fail-on-warnings"], bot_env, 600)
    assert proc.returncode == 0, "\n".join(proc.stdout.splitlines()[-40:])
    assert "No story structure conflicts found" in proc.stdout
    assert "Encountered empty domain" not in proc.stdout

    proc = _kefu_rasa(["train", "--out", str(tmp_path), "--fixed-model-name", "dev"], bot_env, 900)
    assert proc.returncode == 0, "\n".join(proc.stdout.splitlines()[-40:])
    assert (tmp_path / "dev.tar.gz").is_file()
