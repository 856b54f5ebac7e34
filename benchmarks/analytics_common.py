"""Helpers of the analytics benchmarks: run a ``kefu`` command in a subprocess and measure
its wall time and the peak memory of its whole process tree (parent and workers).

Memory is sampled from ``/proc`` every 0.2 s: ``pss_mb`` is the proportional set size
summed over the tree (shared pages counted once: what the processes really use),
``rss_mb`` the resident set size summed (shared pages counted in every process: an upper
bound). Linux only; on other systems the memory figures are ``None``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from kefu.settings import get_settings

DATASETS = get_settings().root.parent / "shared" / "datasets"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(_children(pid))
    return pids


def _memory_kb(pid: int) -> tuple[int, int]:
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def _children_cpu() -> float:
    """User + system CPU seconds of the waited-for child processes and their descendants
    (the pool workers, which ``kefu`` waits for, included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one live process (``/proc/PID/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_kefu(
    args: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> dict:
    """Run ``python -m kefu.cli ARGS``; return exit code, output, wall seconds, CPU seconds
    (the process and its workers), the CPU seconds of the ``kefu`` process alone (the
    driver, sampled) and peak memory. Past ``timeout`` seconds the command is killed and
    the return code is ``None``."""
    command = [sys.executable, "-m", "kefu.cli", *args]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    peak = {"pss": 0, "rss": 0, "cpu": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pss = rss = 0
            for pid in _tree(process.pid):
                p, r = _memory_kb(pid)
                pss, rss = pss + p, rss + r
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)
            peak["cpu"] = _cpu_seconds(process.pid) or peak["cpu"]
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    if Path("/proc/self/smaps_rollup").exists():
        sampler.start()
    code: int | None
    try:
        out, err = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        code = None
    done.set()
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    return {
        "command": "kefu " + " ".join(args),
        "returncode": code,
        "stdout": out,
        "stderr": err[-2000:],
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "driver_cpu_seconds": round(peak["cpu"], 2) if peak["cpu"] else None,
        "peak_pss_mb": round(peak["pss"] / 1024, 1) if peak["pss"] else None,
        "peak_rss_mb": round(peak["rss"] / 1024, 1) if peak["rss"] else None,
    }


def report_dir(stdout: str) -> Path:
    """The report directory printed by a ``kefu analyze`` command."""
    for line in stdout.splitlines():
        if line.startswith("report: "):
            return Path(line.removeprefix("report: ")).parent
    raise RuntimeError(f"no report path in the output:\n{stdout[-1000:]}")
