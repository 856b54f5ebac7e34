"""The template renderer escapes by default and refuses unknown or unsafe input."""

from __future__ import annotations

import pytest

from web.templating import Markup, escape, json_for_script, render


def test_values_are_escaped_and_markup_is_not():
    out = render("form_error.html", text='<img src=x onerror="alert(1)">')
    assert "<img" not in out and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out
    assert escape(Markup("<b>ok</b>")) == "<b>ok</b>"


def test_missing_value_and_unsafe_fragment_are_errors():
    with pytest.raises(KeyError, match="text"):
        render("form_error.html")
    with pytest.raises(TypeError):
        render("pager.html", prev="<a>", next=Markup(""), label="1")
    with pytest.raises(FileNotFoundError):
        render("../app.py")


def test_json_cannot_close_its_script_element():
    text = json_for_script({"a": "</script><script>alert(1)</script>", "b": "<!--"})
    assert "</script" not in text and "<!--" not in text
    import json

    assert json.loads(text)["a"] == "</script><script>alert(1)</script>"
