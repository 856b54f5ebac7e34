"""A minimal template renderer that escapes every value unless told otherwise.

Templates are HTML files under ``web/templates/`` with ``{{ name }}`` placeholders; the
value is HTML-escaped. ``{{ name|safe }}`` inserts an already rendered fragment (built by
this same renderer) and ``{{ name|json }}`` a JSON document safe inside a
``<script type="application/json">`` element. A missing value is an error, not an empty
string, so a typo cannot silently drop content.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\|\s*(safe|json)\s*)?\}\}")


class Markup(str):
    """A string that is already safe HTML (the output of :func:`render`)."""


def escape(value: object) -> str:
    """HTML-escape ``value`` (quotes included) unless it is :class:`Markup`."""
    if isinstance(value, Markup):
        return value
    return html.escape("" if value is None else str(value), quote=True)


def json_for_script(value: object) -> str:
    """JSON that cannot close its ``<script>`` element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=64)
def _load(name: str) -> str:
    path = (TEMPLATES_DIR / name).resolve()
    if path.parent != TEMPLATES_DIR or not path.is_file():
        raise FileNotFoundError(f"no template named {name!r}")
    return path.read_text(encoding="utf-8")


def render(template: str, /, **context: object) -> Markup:
    """Render the file ``template`` with ``context``.

    Raises:
        KeyError: a placeholder has no value in ``context``.
        TypeError: ``|safe`` was given something other than :class:`Markup`.
    """

    def substitute(match: re.Match[str]) -> str:
        key, flag = match.group(1), match.group(2)
        if key not in context:
            raise KeyError(f"template {template!r} needs a value for {key!r}")
        value = context[key]
        if flag == "json":
            return json_for_script(value)
        if flag == "safe":
            if not isinstance(value, Markup):
                raise TypeError(f"{{{{ {key}|safe }}}} in {template!r} must be Markup")
            return value
        return escape(value)

    return Markup(_PLACEHOLDER.sub(substitute, _load(template)))


def join(fragments: list[Markup]) -> Markup:
    """Concatenate rendered fragments."""
    return Markup("".join(fragments))
