"""``kefu shell`` (``make shell``): a terminal conversation, driven through a pty."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pexpect
import pytest

PROMPT = "Your input ->"
CARD_LINE = r"1\. [^\r\n]*¥\d+\.\d\d"


@pytest.fixture
def shell(bot_env, bot_model):
    kefu = shutil.which("kefu", path=str(Path(__file__).resolve().parents[2] / ".venv" / "bin"))
    command = kefu or "kefu"
    child = pexpect.spawn(
        command,
        ["shell", "--model", str(bot_model)],
        env={**bot_env, "TERM": "xterm", "COLUMNS": "160", "LINES": "50"},
        encoding="utf-8",
        timeout=180,
        dimensions=(50, 160),
    )
    child.logfile_read = io.StringIO()
    yield child
    if child.isalive():
        child.sendline("/stop")
        child.expect(pexpect.EOF, timeout=30)
    child.close()


def test_chinese_and_english_exchange_with_text_product_lists(shell):
    shell.expect(PROMPT)
    shell.sendline("你好")
    # the greeting comes with quick replies: a menu of buttons plus free text
    shell.expect(r"\(/order_status\)")
    shell.expect("Type out your own message")
    shell.send("\x1b[A")  # up from the first entry wraps to "Type out your own message..."
    shell.send("\r")
    shell.expect(PROMPT)
    shell.sendline("推荐几款商品")
    shell.expect(CARD_LINE, timeout=60)
    assert re.search(r"[\u4e00-\u9fff]", shell.after)  # Chinese product names
    shell.expect(PROMPT)
    shell.sendline("recommend some products")
    shell.expect(CARD_LINE, timeout=60)
    assert re.match(r"1\. [A-Za-z]", shell.after)  # English product names
    shell.expect(PROMPT)
    assert "Custom json" not in shell.logfile_read.getvalue()  # cards never dumped as JSON
    shell.sendline("/stop")
    shell.expect(pexpect.EOF, timeout=60)
    shell.close()
    assert shell.exitstatus == 0
