"""Reports: self-contained HTML rendered in a real headless Chromium, charts with CJK text."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from analytics import charts
from analytics.report import HtmlReport, label, report_directory, write_summary
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

DATA = Path(__file__).resolve().parents[1] / "data" / "analytics"


def test_labels_are_bilingual_and_unknown_keys_pass_through():
    assert label("sentiment_distribution") == "情感分布 · Sentiment distribution"
    assert label("negative", "zh") == "负面" and label("negative", "en") == "Negative"
    assert label("no_such_key") == "no_such_key"


def test_chart_text_is_drawn_as_paths():
    svg = charts.bar_chart(["物流太慢", "质量差"], [3, 1], title="投诉主题 · Themes")
    assert svg.startswith("<svg") and "<text" not in svg and "<path" in svg
    assert "<metadata>" not in svg


def test_cjk_font_is_found():
    if not any(
        Path(p).exists()
        for p in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/wqy")
    ):
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert charts.cjk_font() in charts.CJK_FONTS


def test_a_font_installed_after_matplotlibs_cache_is_found(monkeypatch):
    from matplotlib import font_manager

    if not any(
        Path(p).exists()
        for p in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/wqy")
    ):
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    # matplotlib's cached font list as it was before the CJK font was installed
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in charts.CJK_FONTS]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    charts.cjk_font.cache_clear()
    try:
        assert charts.cjk_font() in charts.CJK_FONTS
    finally:
        charts.cjk_font.cache_clear()


def test_escaping_in_every_block():
    hostile = "<img src=x onerror=alert(1)>"
    page = HtmlReport(hostile, hostile)
    page.section(
        hostile,
        HtmlReport.cards([(hostile, hostile)]),
        HtmlReport.table([hostile], [[hostile]]),
        HtmlReport.tags([hostile]),
        HtmlReport.quotes([hostile]),
        HtmlReport.paragraph(hostile),
        note=hostile,
    )
    html = page.render(hostile)
    assert "<img" not in html and html.count("&lt;img src=x onerror=alert(1)&gt;") >= 10


def test_report_directory_is_all_or_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with report_directory("texts", tmp_path) as target:
            (target.path / "texts.csv").write_text("partial", encoding="utf-8")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with report_directory("texts", tmp_path) as first:
        write_summary(first, "t", {"x": 1}, "<html></html>")
    with report_directory("texts", tmp_path) as second:
        write_summary(second, "t", {"x": 2}, "<html></html>")
    assert first.final != second.final and first.final.is_dir() and second.final.is_dir()
    summary = json.loads((second.final / "summary.json").read_text(encoding="utf-8"))
    assert list(summary)[:3] == ["kind", "title", "created_at"] and summary["x"] == 2
    assert summary["files"] == ["report.html", "summary.json"]


@pytest.fixture(scope="module")
def reports(texts_report, tracker_db, tmp_path_factory) -> list[Path]:
    from analytics import run_conversations, run_customers
    from analytics.customers import CustomersOptions

    out = tmp_path_factory.mktemp("more-reports")
    conversations, _ = run_conversations(tracker_db, None, out)
    customers, _ = run_customers(
        CustomersOptions(transactions=DATA / "cdnow_sample.txt", segments=2), out
    )
    return [texts_report[0], conversations, customers]


@needs_chromium
def test_reports_render_in_headless_chromium(reports, tmp_path):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            for directory in reports:
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                requested: list[str] = []
                page.on("request", lambda r, seen=requested: seen.append(r.url))
                errors: list[str] = []
                page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
                page.goto((directory / "report.html").as_uri())
                page.wait_for_load_state("load")
                shot = page.screenshot(full_page=True)
                heading = page.inner_text("h1")
                charts_drawn = page.eval_on_selector_all(
                    "svg.chart",
                    "els => els.filter(e => e.getBoundingClientRect().width > 100).length",
                )
                page.close()
                (tmp_path / f"{directory.name}.png").write_bytes(shot)
                image = Image.open(io.BytesIO(shot)).convert("RGB")
                assert image.width == 1100 and image.height > 900
                colours = image.resize((220, image.height // 5)).getcolors(maxcolors=1 << 16)
                assert colours is not None and len(colours) > 20, "blank screenshot"
                assert "报告" in heading and "report" in heading
                assert charts_drawn >= 1
                assert [u for u in requested if not u.startswith("file://")] == []
                assert errors == []
        finally:
            browser.close()
