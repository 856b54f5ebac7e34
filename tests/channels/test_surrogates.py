"""The action server's lone-surrogate check is skipped only for bodies that cannot hold one."""

from __future__ import annotations

import json

import pytest

from actions.server import _may_hold_surrogates


def _full_check_fails(raw: bytes) -> bool:
    try:
        json.dumps(json.loads(raw), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


BODIES = [
    json.dumps({"text": "我的订单到哪了 where is it? ①②③ ＫＦ１２"}).encode(),
    json.dumps({"text": "我的订单到哪了 😀"}, ensure_ascii=False).encode(),
    b'{"text": "\\ud800"}',
    b'{"text": "\\uD83D"}',
    b'{"text": "\\udfff x"}',
    b'{"text": "\\ud83d\\ude00"}',  # a valid pair: the full check runs and passes
    b'{"text": "\\\\ud800"}',  # an escaped backslash: no surrogate, full check passes
    b'{"text": "\xed\xa0\x80"}',  # the bytes of an encoded surrogate
    '{"text": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
    '{"text": "ok"}'.encode("utf-16"),
    b'\xef\xbb\xbf{"text": "ok"}',
    b'{"text": "\\u4e2d\\u6587 \\uFFFD \\uE000 \\uCFFF"}',
    json.dumps({"text": "an emoji 😀"}).encode(),  # escaped as a pair: checked in full
]


@pytest.mark.parametrize("raw", BODIES)
def test_a_body_that_fails_the_full_check_is_never_skipped(raw):
    try:
        fails = _full_check_fails(raw)
    except (ValueError, UnicodeDecodeError):
        return  # not JSON at all: json.loads refuses it before the check
    if fails:
        assert _may_hold_surrogates(raw)


def test_plain_bodies_skip_the_full_check():
    assert not _may_hold_surrogates(BODIES[0])
    assert not _may_hold_surrogates(BODIES[1])
    assert not _may_hold_surrogates(BODIES[-2])
    assert _may_hold_surrogates(BODIES[-1])
    assert all(_may_hold_surrogates(raw) for raw in BODIES[2:11])
