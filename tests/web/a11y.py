"""axe-core in the browser tests: WCAG 2.1 A/AA rules, serious and critical findings.

``tests/web/vendor/axe.min.js`` is axe-core from npm (see ``web/static/vendor/README.md``);
it is evaluated in the page through the DevTools protocol, so the site's CSP needs no
exception, and the site never serves it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


@lru_cache(maxsize=1)
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, context: str | None = None) -> list[dict]:
    """The serious and critical WCAG 2.1 AA violations axe finds in ``page`` now.

    Args:
        page: a Playwright page, loaded.
        context: a CSS selector to check only part of the page (default: all of it).
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result = page.evaluate(
        """([context, tags]) => axe.run(context ? document.querySelector(context) : document,
            {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        [context, WCAG_TAGS],
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
