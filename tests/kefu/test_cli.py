"""The ``kefu`` command line: db, import, export, token."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kefu.cli import main
from kefu.identity import verify_token
from tests.kefu.conftest import SMALL

FIXTURES = Path(__file__).parents[1] / "data" / "shop"
DEMO = [
    "db",
    "demo",
    "--date",
    "2026-11-01",
    *(f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()),
]


def test_help_lists_every_command():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kefu"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("db", "import", "token"):
        assert f"    {command} " in result.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: kefu" in capsys.readouterr().out


def test_demo_then_info_then_refuse_to_overwrite(var_dir, capsys):
    assert main(DEMO) == 0
    assert (var_dir / "shop.db").is_file()
    assert main(["db", "info"]) == 0
    assert f"{'order_lines':12} {SMALL['order_lines']:>7,}" in capsys.readouterr().out
    assert main(DEMO) == 1
    assert "pass --force" in capsys.readouterr().err
    assert main([*DEMO, "--if-missing"]) == 0
    assert "kept" in capsys.readouterr().out
    assert main([*DEMO, "--force", "--customers=300"]) == 0


def test_demo_rejects_bad_sizes(var_dir, capsys):
    assert main(["db", "demo", "--customers", "2"]) == 1
    assert "customers must be at least 10" in capsys.readouterr().err
    assert not (var_dir / "shop.db").exists() or main(["db", "info"]) in (0, 1)


def test_import_export_round_trip(var_dir, tmp_path, capsys):
    args = ["import"] + [
        f"--{k}={FIXTURES / (k + '.csv')}" for k in ("products", "customers", "orders", "reviews")
    ]
    assert main(args) == 0
    assert "3 products" in capsys.readouterr().out
    assert main(["db", "export", str(tmp_path / "out")]) == 0
    exported = (tmp_path / "out" / "customers.csv").read_text(encoding="utf-8")
    assert exported == (FIXTURES / "customers.csv").read_text(encoding="utf-8")


def test_import_reports_the_bad_line_and_keeps_the_database(var_dir, tmp_path, capsys):
    assert main(["import", f"--products={FIXTURES / 'products.csv'}"]) == 0
    bad = tmp_path / "customers.csv"
    shutil.copy(FIXTURES / "customers.csv", bad)
    bad.write_text(
        bad.read_text(encoding="utf-8") + "C3,x,x@example.com,1,zh,北京,not-a-date\n",
        encoding="utf-8",
    )
    assert main(["import", f"--customers={bad}"]) == 1
    err = capsys.readouterr().err
    assert "customers.csv:4: column 'signup_date'" in err
    assert main(["db", "info"]) == 0
    assert f"{'customers':12} {0:>7,}" in capsys.readouterr().out


def test_import_argument_errors(var_dir, capsys):
    assert main(["import"]) == 1
    assert "nothing to import" in capsys.readouterr().err
    assert main(["import", "--orders", "/no/such/file.csv"]) == 1
    assert "is not a readable file" in capsys.readouterr().err


def test_export_without_database(var_dir, tmp_path, capsys):
    assert main(["db", "export", str(tmp_path)]) == 1
    assert "no shop tables" in capsys.readouterr().err


def test_token_for_a_known_customer(var_dir, capsys):
    assert main(["token", "--customer", "C1"]) == 1
    assert "not initialised" in capsys.readouterr().err
    assert main(["import", f"--customers={FIXTURES / 'customers.csv'}"]) == 0
    capsys.readouterr()
    assert main(["token", "--customer", "C2"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(token) == "C2"
    assert main(["token", "--customer", "C404"]) == 1
    assert "no customer with id 'C404'" in capsys.readouterr().err
    assert main(["token", "--customer", "C2", "--ttl", "0"]) == 1


def test_database_url_from_the_environment(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "var"))
    assert main(["db", "init"]) == 0
    assert (tmp_path / "elsewhere.db").is_file()
    monkeypatch.setenv("KEFU_DATABASE_URL", "not a url")
    assert main(["db", "info"]) == 1
    assert os.environ["KEFU_DATABASE_URL"] == "not a url"


def test_train_needs_the_shop_database(var_dir, capsys):
    assert main(["train", "--only", "recsys"]) == 1
    assert "run 'kefu db demo' first" in capsys.readouterr().err


def test_train_recsys_then_skips_when_nothing_changed(var_dir, capsys):
    assert main(DEMO) == 0
    capsys.readouterr()
    assert main(["train", "--only", "recsys"]) == 0
    assert "trained the recommender" in capsys.readouterr().out
    assert main(["train", "--only", "recsys"]) == 0
    assert "up to date" in capsys.readouterr().out
