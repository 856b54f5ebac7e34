"""Shared pytest fixtures and plugins, and the test tiers.

Tiers (markers registered in ``pyproject.toml``), set here from what a test uses, so that
a test file keeps its tier wherever it moves:

* ``integration``: starts Rasa, the action server or the site, or needs a database server;
* ``browser``: drives Chromium;
* ``slow``: trains or evaluates a model or runs a tool for more than a few seconds; and
  every Spark test (a ``spark/`` test directory or the ``spark`` fixture: a JVM to start).

``make test-fast`` runs ``-m "not integration and not browser and not slow"``.
"""

from __future__ import annotations

import os
import uuid

import pytest

pytest_plugins = [
    "tests.support.servers",
    "tests.support.orders",
    "tests.support.site",
    "tests.support.spark",
]

# fixtures (direct or through other fixtures) that put a test in a tier
INTEGRATION_FIXTURES = frozenset(
    {
        "action_server",
        "api_rasa_server",
        "bot_model",
        "fuzz_site",
        "guarded_action_server",
        "live_site",
        "offline_site",
        "postgres_url",
        "rasa_server",
    }
)
# single tests (module file name, test name) that start the app's processes themselves
INTEGRATION_TESTS = frozenset(
    {
        ("test_run.py", "test_run_serves_the_chat_and_ctrl_c_stops_everything"),
        ("test_doors.py", "test_chat_messages_are_rate_limited_per_session_and_address"),
        ("test_doors.py", "test_cookies_are_secure_behind_a_trusted_https_proxy"),
        ("test_site.py", "test_slow_bot_times_out_with_a_clear_error"),
        ("test_site.py", "test_staff_password_guessing_is_throttled"),
        ("test_staff_accounts.py", "test_wrong_passwords_are_throttled_per_account"),
    }
)
# (a fixture parameter that needs a database server, such as ``postgresql``, is marked
# ``integration`` where the fixture is defined: ``pytest.param(..., marks=...)``)
BROWSER_FIXTURES = frozenset({"browser", "page"})
# single tests that start Chromium themselves
BROWSER_TESTS = frozenset({("test_report.py", "test_reports_render_in_headless_chromium")})
# fixtures that train a model the first time (then reuse the test cache)
SLOW_FIXTURES = frozenset({"bot_model", "shipped_sentiment"})
# whole test modules (by file name, wherever they live) that run a tool, train or evaluate
SLOW_MODULES = frozenset(
    {
        "test_e2e_stories.py",
        "test_import_properties.py",  # hypothesis: many examples each (#16)
        "test_nlu_heldout.py",
        "test_properties.py",
        "test_rasa_bot.py",
        "test_server_logs.py",  # each test starts a server's process
        "test_validate.py",
    }
)
# single tests (module file name, test name without parameters) of more than a few seconds
SLOW_TESTS = frozenset(
    {
        ("test_cli.py", "test_help_lists_every_command"),
        ("test_cli.py", "test_train_recsys_then_skips_when_nothing_changed"),
        (
            "test_nlp_models.py",
            "test_sentiment_model_is_trained_once_and_retrained_when_data_changes",
        ),
        ("test_nlp_models.py", "test_train_all_reports_what_it_did"),
        ("test_demo.py", "test_default_sizes_meet_the_brief"),
        ("test_conversations.py", "test_report_and_cli"),
        ("test_keywords.py", "test_textrank_chinese"),
        ("test_site.py", "test_slow_bot_times_out_with_a_clear_error"),
        ("test_fuzz.py", "test_ten_thousand_messages_across_the_doors"),
        ("test_tokenize.py", "test_one_megabyte_text"),
        ("test_redact.py", "test_a_megabyte_of_text"),
        ("test_customers.py", "test_customers_report_with_campaign"),
        ("test_customers.py", "test_campaign_rows_in_each_customers_language"),
        ("test_keywords.py", "test_prepare_builds_the_textrank_engine_before_any_text"),
        ("test_rasa_faults.py", "test_launcher_refuses_a_lock_shorter_than_an_action_call"),
        ("test_rasa_faults.py", "test_kefu_run_refuses_an_inconsistent_lock_configuration"),
        # waits for SQLite's busy timeout before the save fails
        (
            "test_rasa_faults.py",
            "test_a_locked_sqlite_tracker_store_fails_the_save_instead_of_hiding_it",
        ),
        ("test_supply_chain.py", "test_make_lock_regenerates_the_same_file"),
        # 3,000 mutated responses, each judged by jsonschema as well
        (
            "test_rasa_schema.py",
            "test_thousands_of_mutated_responses_are_judged_as_jsonschema_judges_them",
        ),
        ("test_rasa_stores.py", "test_rasa_refuses_to_start_without_its_tracker_store"),
        (
            "test_files_and_command_lines.py",
            "test_kefu_commands_make_var_0700_and_every_database_and_secret_0600",
        ),
    }
)


def tiers_of(item: pytest.Item) -> set[str]:
    """The tiers (marker names) a collected test belongs to, from its fixtures and file."""
    names = set(getattr(item, "fixturenames", ()))
    module = item.path.name
    test = getattr(item, "originalname", item.name)
    tiers = set()
    if names & INTEGRATION_FIXTURES or (module, test) in INTEGRATION_TESTS:
        tiers.add("integration")
    if (
        names & BROWSER_FIXTURES
        or module.startswith("test_widget_")
        or (module, test) in BROWSER_TESTS
    ):
        tiers.add("browser")
    if module in SLOW_MODULES or (module, test) in SLOW_TESTS or names & SLOW_FIXTURES:
        tiers.add("slow")
    if "spark" in item.path.parent.parts or "spark" in names:
        tiers.add("slow")  # a JVM and Spark's Python workers start (tests/support/spark.py)
    return tiers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its tiers (see the module docstring)."""
    for item in items:
        for tier in sorted(tiers_of(item) - {m.name for m in item.iter_markers()}):
            item.add_marker(getattr(pytest.mark, tier))


POSTGRES_ADMIN_URL = os.environ.get(
    "KEFU_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test"
)


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test (dropped afterwards).

    Skips with the reason when no PostgreSQL server is reachable (CI always has one).
    """
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy.engine.url import make_url

    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"kefu_test_{uuid.uuid4().hex[:10]}"
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    _dispose_engines(url)
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _dispose_engines(url: str) -> None:
    from kefu.shop.db import get_engine

    get_engine(url).dispose()
