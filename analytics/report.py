"""Self-contained HTML reports and their report directories.

A report is one HTML file (inline CSS, inline SVG charts, no script, no external link) and
a ``summary.json`` with every figure, written into ``var/reports/<kind>-<timestamp>/``
together with the per-row outputs. The directory is built under a hidden temporary name
and renamed when complete, so a failed run leaves nothing behind. Every piece of user
text goes through :func:`html.escape`.

Wording (section titles, labels) is in ``data/analytics/labels.json``, in both languages.
"""

from __future__ import annotations

import html
import json
import math
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from kefu.settings import get_settings

__all__ = ["HtmlReport", "label", "report_directory", "write_summary"]

CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:0;background:#f4f6f9;color:#1f2933;line-height:1.5}
header{background:#1f3a60;color:#fff;padding:24px 32px}
header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.85;font-size:14px}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);
margin:16px 0;padding:16px 24px}
h2{font-size:18px;margin:4px 0 12px;color:#1f3a60}h3{font-size:15px;margin:16px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 150px;background:#f4f6f9;border-radius:6px;padding:10px 14px}
.card .v{font-size:22px;font-weight:700}.card .k{font-size:12px;color:#52606d}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{width:100%;height:auto;max-width:760px;display:block;margin:8px 0}
.note{font-size:13px;color:#52606d}.warn{color:#a61b1b}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
blockquote{margin:4px 0;padding:4px 10px;border-left:3px solid #d64541;background:#fbf1f1;
font-size:13px}
.tag{display:inline-block;background:#e8eefb;border-radius:10px;padding:1px 8px;margin:2px;
font-size:12px}
footer{text-align:center;color:#7b8794;font-size:12px;padding:16px}
"""


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    path = get_settings().data_dir / "analytics" / "labels.json"
    return json.loads(path.read_text(encoding="utf-8"))


def label(key: str, lang: str | None = None) -> str:
    """A label from ``data/analytics/labels.json``: ``"中文 · English"``, or one language.

    An unknown key is returned as is (a missing label must not break a report).
    """
    entry = _labels().get(key)
    if entry is None:
        return key
    if lang is not None:
        return entry.get(lang, key)
    zh, en = entry.get("zh", ""), entry.get("en", "")
    return f"{zh} · {en}" if zh and en and zh != en else zh or en or key


def esc(value: object) -> str:
    """HTML-escaped text of any value."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: object, percent: bool = False) -> str:
    """A number for display (thousands separators, 4 significant digits, or a percentage)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if percent and isinstance(value, int | float):
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


class HtmlReport:
    """Builds the HTML of a report section by section.

    Args:
        title: the report title (shown escaped).
        subtitle: a line under the title (input file, date...).
    """

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self._parts: list[str] = []

    def section(self, title: str, *blocks: str, note: str = "") -> HtmlReport:
        """Add a section; ``blocks`` are HTML fragments from the methods below."""
        body = "".join(blocks)
        if note:
            body += f'<p class="note">{esc(note)}</p>'
        self._parts.append(f"<section><h2>{esc(title)}</h2>{body}</section>")
        return self

    @staticmethod
    def cards(items: Sequence[tuple[str, str]]) -> str:
        """Key figures: ``[(label, formatted value), ...]``."""
        cells = "".join(
            f'<div class="card"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div></div>'
            for k, v in items
        )
        return f'<div class="cards">{cells}</div>'

    @staticmethod
    def table(
        headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()
    ) -> str:
        """A table; cells are escaped, columns listed in ``numeric`` are right-aligned."""
        head = "".join(f"<th>{esc(h)}</th>" for h in headers)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="n">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    @staticmethod
    def chart(svg: str) -> str:
        """An inline SVG chart made by :mod:`analytics.charts` (trusted markup)."""
        return f"<figure>{svg}</figure>"

    @staticmethod
    def heading(text: str) -> str:
        return f"<h3>{esc(text)}</h3>"

    @staticmethod
    def paragraph(text: str, cls: str = "note") -> str:
        return f'<p class="{cls}">{esc(text)}</p>'

    @staticmethod
    def tags(words: Sequence[str]) -> str:
        return "".join(f'<span class="tag">{esc(w)}</span>' for w in words)

    @staticmethod
    def quotes(texts: Sequence[str]) -> str:
        return "".join(f"<blockquote>{esc(t)}</blockquote>" for t in texts)

    @staticmethod
    def grid(*blocks: str) -> str:
        return '<div class="grid">' + "".join(f"<div>{b}</div>" for b in blocks) + "</div>"

    def render(self, created_at: str) -> str:
        """The complete HTML document."""
        return (
            "<!DOCTYPE html>\n"
            '<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(self.title)}</h1><p>{esc(self.subtitle)}</p></header>"
            f"<main>{''.join(self._parts)}</main>"
            f"<footer>kefu · {esc(created_at)}</footer></body></html>\n"
        )


def _timestamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


class ReportDirectory:
    """A report directory being written (``path``) and where it lands (``final``)."""

    def __init__(self, path: Path, final: Path, kind: str, created_at: str) -> None:
        self.path = path
        self.final = final
        self.kind = kind
        self.created_at = created_at


@contextmanager
def report_directory(kind: str, base_dir: Path | None = None) -> Iterator[ReportDirectory]:
    """A fresh report directory, renamed into place when the block succeeds.

    Args:
        kind: ``texts``, ``conversations`` or ``customers`` (names the directory).
        base_dir: where reports go (default ``var/reports``, or ``--out``).

    Yields:
        The directory being written; after the block, ``final`` holds the report.
    """
    base = Path(base_dir) if base_dir is not None else get_settings().var_dir / "reports"
    base.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    name = f"{kind}-{_timestamp(now)}"
    final = base / name
    n = 2
    while final.exists():
        final = base / f"{name}-{n}"
        n += 1
    partial = base / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    target = ReportDirectory(partial, final, kind, now.isoformat().replace("+00:00", "Z"))
    try:
        yield target
        partial.rename(final)
        target.path = final
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_summary(directory: ReportDirectory, title: str, figures: dict, html_text: str) -> Path:
    """Write ``report.html`` and ``summary.json`` (``kind``, ``title``, ``created_at`` first)."""
    files = sorted(p.name for p in directory.path.iterdir() if p.is_file())
    summary = {
        "kind": directory.kind,
        "title": title,
        "created_at": directory.created_at,
        "report": "report.html",
        "files": sorted({*files, "report.html", "summary.json"}),
        **figures,
    }
    (directory.path / "report.html").write_text(html_text, encoding="utf-8")
    (directory.path / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return directory.path / "summary.json"
