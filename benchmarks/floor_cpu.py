"""Rasa CPU per message of kefu's bot against the floor bot, in one run (issue 17).

The floor bot (``benchmarks/floor_bot``: Rasa's KeywordIntentClassifier, one rule, no
action call) and kefu's bot go through the same replica set as
:mod:`benchmarks.replicas` (:func:`benchmarks.replicas.run_bot`: 1 and 2 replicas,
20 conversations at once), and the CPU seconds per message of each process are compared:
the issue's floor target is kefu's Rasa within 1.5 times the floor's (kefu's action
server on top).

``--before DIR`` first measures both bots once more with the code of ``DIR`` (an exported
older commit with its own ``var/``, e.g. ``git archive BASE | tar -x -C DIR``): the floor
bot runs through kefu's launcher and Rasa fixes too, so both change with them. A change
is then measured before and after in the same run, on the same machine load. When the
change alters the bot (domain, rules...), ``--before-model`` gives the older tree's model.
Each level also reports the action server's requests per message (nginx's access log).

``python -m benchmarks.floor_cpu [--model PATH] [--messages N] [--before DIR]
[--before-model PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import replicas


def cpu_figures(result: dict[str, Any]) -> dict[str, Any]:
    """Milliseconds of CPU per message, per process, at 1 and 2 replicas."""
    out: dict[str, Any] = {}
    for level in ("replicas_1", "replicas_2"):
        cpu = result[level]["cpu_s_per_message"]
        out[level] = {
            "rasa_ms": round(1000 * sum(v for k, v in cpu.items() if k.startswith("rasa")), 2),
            "actions_ms": round(1000 * cpu.get("actions", 0.0), 2),
            "action_calls_per_message": result[level].get("action_calls_per_message"),
            "nginx_ms": round(1000 * cpu.get("nginx", 0.0), 2),
            "messages": result[level]["messages"],
            "errors": result[level]["errors"],
            "bad_conversations": result[level][
                "conversations_with_lost_duplicated_or_interleaved_events"
            ],
            "loadavg_before": result[level]["loadavg_before"],
        }
    out["nlu_parse_ms"] = round(1000 * result["rasa_cpu_s_per_parse_nlu_only"], 2)
    return out


def kefu_only(model: Path, messages: int) -> dict[str, Any]:
    """kefu's bot alone, with the code this process imports."""
    return cpu_figures(replicas.run_bot("kefu", model, messages, with_actions=True))


# run in the older tree: its own benchmarks.replicas and kefu
_CHILD = (
    "import json, sys; from pathlib import Path; from benchmarks import replicas; "
    "bot = sys.argv[3]; model = Path(sys.argv[1]) if bot == 'kefu' else replicas.train_floor(); "
    "print(json.dumps(replicas.run_bot(bot, model, int(sys.argv[2]), bot == 'kefu')))"
)


def before(directory: Path, model: Path, messages: int, bot: str = "kefu") -> dict[str, Any]:
    """``bot`` (kefu or floor) measured with the code of ``directory`` (a child process
    there: kefu's launcher and fixes of that tree serve both bots)."""
    env = {**os.environ, "PYTHONPATH": str(directory)}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(model), str(messages), bot],
        cwd=directory,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return cpu_figures(json.loads(proc.stdout.strip().splitlines()[-1]))


def _ratio(kefu: dict[str, Any], floor: dict[str, Any], level: str) -> float | None:
    base = floor[level]["rasa_ms"]
    return round(kefu[level]["rasa_ms"] / base, 2) if base else None


def run(
    model: Path, messages: int, before_dir: Path | None = None, before_model: Path | None = None
) -> dict[str, Any]:
    """Before (optional, with ``before_model`` when the bot's sources changed, else
    ``model``), kefu, floor; the ratios of kefu's Rasa CPU to the floor's."""
    started = os.getloadavg()
    out: dict[str, Any] = {"conversations": replicas.CONVERSATIONS, "messages": messages}
    if before_dir is not None:
        out["kefu_before"] = before(before_dir, before_model or model, messages)
        out["floor_before"] = before(before_dir, model, messages, "floor")
    out["kefu"] = kefu_only(model, messages)
    floor_model = replicas.train_floor()
    out["floor"] = cpu_figures(replicas.run_bot("floor", floor_model, messages, False))
    for level in ("replicas_1", "replicas_2"):
        out[f"kefu_rasa_vs_floor_{level}"] = _ratio(out["kefu"], out["floor"], level)
        if before_dir is not None:
            out[f"kefu_before_rasa_vs_floor_before_{level}"] = _ratio(
                out["kefu_before"], out["floor_before"], level
            )
    out["target_rasa_within_1_5x_floor"] = all(
        out["kefu"][level]["rasa_ms"] <= 1.5 * out["floor"][level]["rasa_ms"]
        for level in ("replicas_1", "replicas_2")
    )
    out["loadavg_at_start"] = [round(x, 2) for x in started]
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="kefu bot model (.tar.gz)")
    parser.add_argument("--messages", type=int, default=replicas.MESSAGES)
    parser.add_argument("--before", type=Path, help="also measure kefu with this code first")
    parser.add_argument(
        "--before-model", type=Path, help="kefu's model for --before (default: --model)"
    )
    args = parser.parse_args()
    print(json.dumps(run(args.model, args.messages, args.before, args.before_model), indent=2))


if __name__ == "__main__":
    main()
