"""The one settings object: every KEFU_* variable, its default, and bad values."""

from __future__ import annotations

import pytest

from kefu.settings import DEFAULT_RASA_URL, DEFAULT_SITE_URL, get_settings

VARIABLES = (
    "KEFU_TOKEN_SECRET",
    "KEFU_DEMO_PASSWORD",
    "KEFU_STAFF_PASSWORD",
    "KEFU_RASA_URL",
    "KEFU_RASA_TOKEN",
    "KEFU_RASA_TIMEOUT",
    "KEFU_SECURE_COOKIES",
    "KEFU_RETURN_WINDOW_DAYS",
    "KEFU_ACTION_ENDPOINT",
    "KEFU_STAGE_LOG",
    "KEFU_SITE_URL",
    "KEFU_ANNOUNCE_SECRET",
    "KEFU_CHANNEL_SECRET",
    "KEFU_ACTION_TOKEN",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    s = get_settings()
    assert (s.token_secret, s.demo_password, s.staff_password, s.rasa_token) == ("",) * 4
    assert s.rasa_url == DEFAULT_RASA_URL == "http://127.0.0.1:5005"
    assert s.rasa_timeout == 30.0
    assert s.secure_cookies is False
    assert s.return_window_days == 30
    assert s.action_endpoint == "http://127.0.0.1:5055/webhook"
    assert s.stage_log is False
    assert s.site_url == DEFAULT_SITE_URL == "http://127.0.0.1:8000"  # `kefu run`'s site
    assert s.announce_secret == ""  # no ticket announces


def test_values_from_the_environment(clean_env):
    clean_env.setenv("KEFU_TOKEN_SECRET", "  s" * 8 + " ")
    clean_env.setenv("KEFU_RASA_URL", "http://rasa:5005")
    clean_env.setenv("KEFU_RASA_TIMEOUT", "2.5")
    clean_env.setenv("KEFU_SECURE_COOKIES", "yes")
    clean_env.setenv("KEFU_RETURN_WINDOW_DAYS", "14")
    s = get_settings()
    assert s.token_secret == ("  s" * 8).strip()
    assert (s.rasa_url, s.rasa_timeout, s.secure_cookies) == ("http://rasa:5005", 2.5, True)
    assert s.return_window_days == 14


def test_action_endpoint_and_stage_log_from_the_environment(clean_env):
    from kefu.bot.rasa_cli import rasa_process_env

    clean_env.setenv("KEFU_ACTION_ENDPOINT", " http://actions:6055/webhook ")
    clean_env.setenv("KEFU_STAGE_LOG", "1")
    s = get_settings()
    assert (s.action_endpoint, s.stage_log) == ("http://actions:6055/webhook", True)
    # kefu rasa hands Rasa the endpoint of the settings
    assert rasa_process_env({})["KEFU_ACTION_ENDPOINT"] == "http://actions:6055/webhook"


def test_the_site_url_and_the_announce_secret(clean_env):
    clean_env.setenv("KEFU_SITE_URL", " http://127.0.0.1:8123/ ")
    clean_env.setenv("KEFU_ANNOUNCE_SECRET", "a" * 16)
    s = get_settings()
    assert (s.site_url, s.announce_secret) == ("http://127.0.0.1:8123", "a" * 16)
    clean_env.setenv("KEFU_ANNOUNCE_SECRET", "short")
    with pytest.raises(ValueError, match="KEFU_ANNOUNCE_SECRET"):
        get_settings()
    clean_env.setenv("KEFU_ANNOUNCE_SECRET", "a" * 16)
    clean_env.setenv("KEFU_SITE_URL", "127.0.0.1:8000")
    with pytest.raises(ValueError, match="KEFU_SITE_URL"):
        get_settings()


@pytest.mark.parametrize(
    "name",
    [
        "KEFU_TOKEN_SECRET",
        "KEFU_CHANNEL_SECRET",
        "KEFU_ACTION_TOKEN",
        "KEFU_RASA_TOKEN",
        "KEFU_ANNOUNCE_SECRET",
        "KEFU_STAFF_PASSWORD",
        "KEFU_DEMO_PASSWORD",
    ],
)
@pytest.mark.parametrize("placeholder", ["change-me", " Change-Me ", "CHANGEME"])
def test_the_deploy_examples_placeholder_is_refused(clean_env, name, placeholder):
    clean_env.setenv(name, placeholder)
    with pytest.raises(ValueError, match=f"{name} is still the example's placeholder"):
        get_settings()
    clean_env.setenv(name, "change-me-to-a-real-secret-0123456789")  # a real one passes
    assert get_settings() is not None


def test_the_deploy_examples_hold_only_the_placeholder():
    from pathlib import Path

    from kefu.settings import PLACEHOLDER_SECRETS, ROOT

    for example in ("deploy/systemd/kefu.env.example", "deploy/kubernetes/secret.example.yaml"):
        text = Path(ROOT, example).read_text(encoding="utf-8")
        for line in text.splitlines():
            key, _, value = line.replace(":", "=", 1).partition("=")
            if "SECRET" in key or "TOKEN" in key or "PASSWORD" in key.split("_")[-1:]:
                if key.strip() != "KEFU_REDIS_PASSWORD":
                    assert value.strip() in PLACEHOLDER_SECRETS, line


@pytest.mark.parametrize("value", ["soon", "0", "601", "-1"])
def test_a_bad_timeout_is_a_clear_error(clean_env, value):
    clean_env.setenv("KEFU_RASA_TIMEOUT", value)
    with pytest.raises(ValueError, match="KEFU_RASA_TIMEOUT"):
        get_settings()


@pytest.mark.parametrize("value", ["0", "3651", "two", "-5", ""])
def test_a_bad_return_window_falls_back_to_30_days(clean_env, value):
    clean_env.setenv("KEFU_RETURN_WINDOW_DAYS", value)
    assert get_settings().return_window_days == 30


def test_every_variable_read_is_in_the_cache_key():
    import re
    from pathlib import Path

    from kefu import settings

    source = Path(settings.__file__).read_text(encoding="utf-8")
    assert set(re.findall(r'"(KEFU_[A-Z_]+)"', source)) == set(settings.ENV_NAMES)


def test_settings_follow_each_change_of_the_environment(clean_env, tmp_path):
    from kefu.settings import reset_settings

    first = get_settings()
    assert get_settings() is first  # nothing changed: the same object
    clean_env.setenv("KEFU_RASA_URL", "http://127.0.0.1:9")
    assert get_settings().rasa_url == "http://127.0.0.1:9"
    clean_env.setenv("KEFU_VAR_DIR", "relative-var")
    clean_env.chdir(tmp_path)
    assert get_settings().var_dir == tmp_path / "relative-var"
    (tmp_path / "other").mkdir()
    clean_env.chdir(tmp_path / "other")
    assert get_settings().var_dir == tmp_path / "other" / "relative-var"
    clean_env.setenv("KEFU_VAR_DIR", "~/kefu-var")
    clean_env.setenv("HOME", str(tmp_path))
    assert get_settings().var_dir == tmp_path / "kefu-var"
    clean_env.delenv("KEFU_RASA_URL")
    assert get_settings().rasa_url == DEFAULT_RASA_URL
    kept = get_settings()
    reset_settings()
    assert get_settings() is not kept and get_settings() == kept


def test_a_bad_value_raises_on_every_call(clean_env):
    clean_env.setenv("KEFU_RASA_TIMEOUT", "soon")
    for _ in range(2):
        with pytest.raises(ValueError, match="KEFU_RASA_TIMEOUT"):
            get_settings()
