"""The analytics reports listing and the path checks that guard their files."""

from __future__ import annotations

import json

import pytest

from web.reports import list_reports, report_file


@pytest.fixture
def reports(tmp_path):
    root = tmp_path / "reports"
    for name, created in (("texts", "2026-01-02T00:00:00"), ("conversations", "2026-01-03")):
        d = root / name
        d.mkdir(parents=True)
        (d / "report.html").write_text("<h1>r</h1>")
        (d / "summary.json").write_text(
            json.dumps({"kind": name, "title": f"{name} report", "created_at": created})
        )
    (root / "broken").mkdir()
    (root / "broken" / "summary.json").write_text("{not json")
    (root / ".hidden").mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    return root


def test_listing_skips_broken_reports_newest_first(reports):
    entries = list_reports(reports)
    assert [e.name for e in entries] == ["conversations", "texts"]
    assert entries[0].files == ("report.html", "summary.json")
    assert list_reports(reports / "missing") == []


@pytest.mark.parametrize(
    "name, filename",
    [
        ("..", "secret.txt"),
        ("texts", "../../secret.txt"),
        ("texts", "..%2F..%2Fsecret.txt"),
        ("texts/../..", "secret.txt"),
        (".hidden", "report.html"),
        ("texts", ".report.html"),
        ("texts", "report.py"),
        ("texts", "missing.html"),
        ("", "report.html"),
        ("texts", "a" * 300 + ".html"),
    ],
)
def test_no_path_escapes_the_reports_directory(reports, name, filename):
    assert report_file(reports, name, filename) is None


def test_symlink_out_of_the_directory_is_refused(reports, tmp_path):
    (reports / "texts" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert report_file(reports, "texts", "leak.txt") is None
    assert report_file(reports, "texts", "report.html") == reports / "texts" / "report.html"
