"""The one settings object: every KEFU_* variable, its default, and bad values."""

from __future__ import annotations

import pytest

from kefu.settings import DEFAULT_RASA_URL, get_settings

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


@pytest.mark.parametrize("value", ["soon", "0", "601", "-1"])
def test_a_bad_timeout_is_a_clear_error(clean_env, value):
    clean_env.setenv("KEFU_RASA_TIMEOUT", value)
    with pytest.raises(ValueError, match="KEFU_RASA_TIMEOUT"):
        get_settings()


@pytest.mark.parametrize("value", ["0", "3651", "two", "-5", ""])
def test_a_bad_return_window_falls_back_to_30_days(clean_env, value):
    clean_env.setenv("KEFU_RETURN_WINDOW_DAYS", value)
    assert get_settings().return_window_days == 30
