"""``kefu redact``: the real command, stdin to stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import ROOT

pytestmark = pytest.mark.slow  # every test runs the kefu command as a process

KEFU = [str(Path(sys.executable).with_name("kefu"))]


def run(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*KEFU, "redact", *args], input=stdin, capture_output=True, cwd=ROOT, timeout=60
    )


def test_masks_every_line_and_keeps_the_rest():
    text = (
        "订单KF10000123 手机13812345678\n"
        "mail a.b@example.com, card 4111 1111 1111 1111\n"
        "\n"
        "寄到北京市朝阳区建国路88号 no newline at the end"
    )
    result = run(stdin=text.encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == (
        "订单KF10000123 手机[PHONE]\nmail [EMAIL], card [CARD]\n\n寄到[ADDRESS] no newline at the end"
    )


def test_kinds_option():
    result = run("--kinds", "email,id_card", stdin=b"a@b.com 13812345678 11010519491231002X\n")
    assert result.returncode == 0
    assert result.stdout == b"[EMAIL] 13812345678 [ID]\n"


def test_bad_kinds_is_a_clear_error():
    result = run("--kinds", "phone,ssn", stdin=b"13812345678\n")
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"unknown kind(s) ssn" in result.stderr and b"choose from" in result.stderr


def test_bytes_that_are_not_utf8_pass_through():
    result = run(stdin=b"\xff\xfe\x00 13812345678\r\n")
    assert result.returncode == 0
    assert result.stdout == b"\xff\xfe\x00 [PHONE]\r\n"


def test_streams_line_by_line():
    process = subprocess.Popen(
        [*KEFU, "redact"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )
    try:
        process.stdin.write("第一行 13812345678\n".encode())
        process.stdin.flush()
        # The first line comes back while stdin is still open.
        assert process.stdout.readline() == "第一行 [PHONE]\n".encode()
        process.stdin.write(b"second a@b.com\n")
        process.stdin.close()
        assert process.stdout.read() == b"second [EMAIL]\n"
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
