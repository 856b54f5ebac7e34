"""``kefu analyze texts`` on the local engine and on Spark ``local[2]``, side by side.

Cases, each run with both engines as a ``kefu`` subprocess (seconds, CPU of the driver
process, peak memory of the whole process tree: the JVM and Spark's Python workers
included), with a check that the two reports' aggregates are equal:

* the online_shopping_10_cats test set (12,555 Chinese reviews of 10 categories);
* synthetic files of :func:`benchmarks.analytics_large.generate` (short Chinese and English
  reviews, one bad row in a thousand): a small one that measures the fixed cost (session
  start, models, first job) and a large one (``KEFU_BENCH_SPARK_TEXT_ROWS``, default
  5,000,000) that measures the per-row cost.

The cost model: ``seconds = fixed + rows * (driver + work / M)`` for ``M`` machines like
this one; ``driver`` is the per-row CPU of the driver process (reading, aggregating,
writing ``texts.csv``: serial whatever the cluster), ``work`` the rest of the per-row time.

Run: ``python -m benchmarks analytics_spark`` or ``python -m benchmarks.analytics_spark``;
the big mode (not part of ``make bench``): ``python -m benchmarks.analytics_spark --big``
(see :func:`big`).
``KEFU_BENCH_SPARK_TEXT_TIMEOUT`` bounds each command (default 3600 s);
``KEFU_BENCH_SPARK_TEXT_CASES=test`` or ``synthetic`` runs only those cases.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import datasets_dir
from benchmarks.analytics_common import report_dir, run_kefu

ROWS = int(os.environ.get("KEFU_BENCH_SPARK_TEXT_ROWS", "5000000"))
SMALL_ROWS = 2_000
TIMEOUT = float(os.environ.get("KEFU_BENCH_SPARK_TEXT_TIMEOUT", "3600"))
TEST_SET = datasets_dir() / "online_shopping_10_cats" / "test.csv"
ENGINES = ("local", "spark")


def _aggregates(directory: Path) -> dict:
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in summary.items() if k not in ("input", "created_at", "kind", "title")}


def _case(path: Path, rows: int, out: Path, extra: list[str]) -> dict:
    result: dict = {"rows": rows}
    aggregates = {}
    for engine in ENGINES:
        print(f"   {path.name} ({rows:,} rows): {engine}", file=sys.stderr, flush=True)
        target = out / engine
        target.mkdir(parents=True, exist_ok=True)
        args = ["analyze", "texts", str(path), "--out", str(target), "--quiet", *extra]
        if engine == "spark":
            args += ["--engine", "spark"]
        run = run_kefu(args, timeout=TIMEOUT)
        figures = {
            k: run[k]
            for k in ("seconds", "driver_cpu_seconds", "cpu_seconds", "peak_pss_mb", "peak_rss_mb")
            if run.get(k) is not None
        }
        if run["returncode"] is None:
            figures["timeout"] = f"over {TIMEOUT:.0f} s"
        elif run["returncode"] != 0:
            figures["error"] = run["stderr"].strip().splitlines()[-1:]
        else:
            directory = report_dir(run["stdout"])
            aggregates[engine] = _aggregates(directory)
            texts = aggregates[engine]["texts"]
            figures["texts"] = texts
            figures["texts_per_second"] = round(texts / run["seconds"], 1)
        result[engine] = figures
    if len(aggregates) == 2:
        result["aggregates_equal"] = aggregates["local"] == aggregates["spark"]
    return result


def _fit(runs: list[dict], engine: str) -> dict | None:
    """Least squares ``seconds = fixed + rows * per_row`` over the runs of one engine, and
    the driver's per-row CPU from its CPU seconds (start-up and model loading cancel out)."""
    points = [
        (r[engine]["texts"], r[engine]["seconds"], r[engine].get("driver_cpu_seconds") or 0.0)
        for r in runs
        if "texts" in r.get(engine, {})
    ]
    if len({p[0] for p in points}) < 2:
        return None
    rows, seconds, cpu = np.array(points, dtype=float).T
    per_row, fixed = np.polyfit(rows, seconds, 1)
    driver = np.polyfit(rows, cpu, 1)[0]
    return {
        "fixed_seconds": float(fixed),
        "per_row_us": float(per_row) * 1e6,
        "driver_per_row_us": float(driver) * 1e6,
        "runs": len(points),
    }


def cost_model(runs: list[dict], targets: tuple[int, ...] = (5_000_000, 50_000_000)) -> dict:
    """Fixed and per-row cost of each engine fitted on the runs (two sizes or more); the
    projection to ``targets`` rows on 1, 10 and 100 machines, and where Spark pays off."""
    local, spark = _fit(runs, "local"), _fit(runs, "spark")
    if local is None or spark is None:
        return {"skipped": "needs runs of both engines at two sizes or more"}
    out: dict = {
        "local": {k: round(v, 2) for k, v in local.items()},
        "spark": {k: round(v, 2) for k, v in spark.items()},
        "model": "seconds = fixed + rows * (driver + work / machines); machines of 2 cores",
        "note": "every figure below is projected from the fit, not measured",
    }
    if local["per_row_us"] <= 0 or spark["per_row_us"] <= spark["driver_per_row_us"]:
        out["unresolved"] = "the machine's load hid the per-row cost: run larger sizes"
        return out
    work = spark["per_row_us"] - spark["driver_per_row_us"]
    out["spark_per_row_vs_local"] = round(spark["per_row_us"] / local["per_row_us"], 2)
    out["predictions"] = {}
    for machines in (1, 10, 100):
        row_us = spark["driver_per_row_us"] + work / machines
        gain = local["per_row_us"] - row_us
        fixed_gap = spark["fixed_seconds"] - local["fixed_seconds"]
        pays = fixed_gap / gain * 1e6 if gain > 0 else None
        out["predictions"][f"{machines}_machines"] = {
            "per_row_us": round(row_us, 2),
            **{
                f"seconds_{rows:_}_rows": round(spark["fixed_seconds"] + row_us * rows / 1e6, 1)
                for rows in targets
            },
            "spark_pays_off_above_rows": round(max(pays, 0))
            if pays is not None
            else "never (Spark's per-row cost on this many machines is not below the local "
            "engine's)",
        }
    out["local"].update(
        {
            f"seconds_{rows:_}_rows": round(
                local["fixed_seconds"] + local["per_row_us"] * rows / 1e6, 1
            )
            for rows in targets
        }
    )
    return out


def _header() -> dict:
    from analytics.spark import BATCH_ROWS

    return {
        "benchmark": "analytics_spark",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "spark_master": "local[2]",
        "batch_rows": BATCH_ROWS,
    }


def big() -> dict:
    """The big mode: synthetic files of ``KEFU_BENCH_BIG_TEXT_SIZES`` rows (default
    2,000, 1,000,000 and 5,000,000), generated one at a time under ``KEFU_BENCH_BIG_DIR``
    (default ``/tmp``) and deleted after their runs, both engines each; the cost model
    fitted on every size that finished. The figures so far are rewritten after each size to
    ``KEFU_BENCH_BIG_OUT`` (default ``var/bench/analytics_spark_big.json``)."""
    from benchmarks.analytics_large import generate
    from kefu.nlp_models import load_sentiment_model
    from kefu.settings import get_settings
    from recsys.spark import spark_problem

    sizes = [int(s) for s in os.environ.get("KEFU_BENCH_BIG_TEXT_SIZES", "").split(",") if s]
    sizes = sizes or [SMALL_ROWS, 1_000_000, 5_000_000]
    target = Path(
        os.environ.get("KEFU_BENCH_BIG_OUT")
        or get_settings().ensure_var() / "bench" / "analytics_spark_big.json"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    results = {**_header(), "mode": "big", "timeout_seconds": TIMEOUT, "runs": {}}
    problem = spark_problem()
    if problem:
        return {**results, "skipped": problem}
    load_sentiment_model()  # trained first when missing: not part of the timing
    root = os.environ.get("KEFU_BENCH_BIG_DIR", "/tmp")
    with tempfile.TemporaryDirectory(prefix="kefu-bench-big-texts-", dir=root) as tmp:
        for rows in sizes:
            path = Path(tmp) / f"synthetic-{rows}.csv"
            started = time.perf_counter()
            generate(path, rows)
            print(f"   generated {rows:,} rows in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
            case = _case(path, rows, Path(tmp) / f"s{rows}", [])
            case["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            results["runs"][str(rows)] = case
            path.unlink()
            shutil.rmtree(Path(tmp) / f"s{rows}", ignore_errors=True)
            results["cost_model"] = cost_model(list(results["runs"].values()))
            target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results


def run() -> dict:
    from benchmarks.analytics_large import generate
    from kefu.nlp_models import load_sentiment_model
    from recsys.spark import spark_problem

    results = _header()
    problem = spark_problem()
    if problem:
        results["skipped"] = problem
        return results
    load_sentiment_model()  # trained first when missing: not part of the timing
    with tempfile.TemporaryDirectory(prefix="kefu-bench-spark-") as tmp:
        out = Path(tmp)
        if os.environ.get("KEFU_BENCH_SPARK_TEXT_CASES") == "synthetic":
            results["online_shopping_test"] = {"skipped": "KEFU_BENCH_SPARK_TEXT_CASES"}
        elif TEST_SET.is_file():
            results["online_shopping_test"] = _case(
                TEST_SET, 12_555, out / "test", ["--category-column", "cat"]
            )
        else:
            results["online_shopping_test"] = {"skipped": f"{TEST_SET} not found"}
        synthetic: dict = {}
        sizes = (
            () if os.environ.get("KEFU_BENCH_SPARK_TEXT_CASES") == "test" else (SMALL_ROWS, ROWS)
        )
        for rows in sizes:
            path = out / f"synthetic-{rows}.csv"
            generate(path, rows)
            synthetic[str(rows)] = _case(path, rows, out / f"s{rows}", [])
            path.unlink()
        results["synthetic"] = synthetic
    if sizes:
        results["cost_model"] = cost_model([synthetic[str(SMALL_ROWS)], synthetic[str(ROWS)]])
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


if __name__ == "__main__":
    result = big() if sys.argv[1:] == ["--big"] else run()
    print(json.dumps(result, indent=2, ensure_ascii=False))
