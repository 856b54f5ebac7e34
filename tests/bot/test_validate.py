"""`rasa data validate --fail-on-warnings` on the bot (domain, rules, stories, NLU, lookups)."""

from __future__ import annotations

import subprocess

from kefu.bot import validate_command


def test_rasa_data_validate_passes(bot_model, bot_env, tmp_path):
    from tests.support.servers import TRAIN_VAR

    lookups = TRAIN_VAR / "bot" / "lookups.yml"
    assert lookups.is_file()
    proc = subprocess.run(
        validate_command(lookups),
        cwd=tmp_path,
        env=bot_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, "\n".join(proc.stdout.splitlines()[-40:])
    assert "No story structure conflicts found" in proc.stdout
