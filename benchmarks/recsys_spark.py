"""Recommender on Spark beside the local engine: quality, fit time, peak memory, scaling.

* MovieLens 100K (``u1.base``/``u1.test``) and UCI Online Retail (time split): NDCG@10 etc.
  (the evaluation of ``benchmarks/recsys.py``) of the local ``Recommender``, the same model
  trained on Spark ``local[2]`` (same tables) and the MLlib implicit ALS variant.
* A synthetic log (``benchmarks/recsys_scale.synthetic_log``, 20 events per user, 50 per
  item) at growing sizes: fit seconds and peak memory of each engine.
* A cost model fitted on those runs: ``seconds = start-up + per-row cost * rows / machines``,
  with the size at which Spark pays off on 1, 10 and 100 machines like this one.

Every case runs in its own child process, so peak memory is its own: the driver's peak RSS
and, for Spark, the JVM's (``VmHWM``). Missing data sets are reported as skipped; a case
that outlives its time limit is reported as such.

Run: ``python -m benchmarks.recsys_spark`` (JSON on stdout); one case:
``python -m benchmarks.recsys_spark --case movielens --engine spark``. Sizes:
``KEFU_BENCH_SPARK_SIZES=20000,200000,1000000``. The big mode (not part of ``make bench``):
``python -m benchmarks.recsys_spark --big`` (see :func:`big`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ENGINES = ("local", "spark", "spark-als")
SIZES = (20_000, 200_000, 1_000_000)
CASE_TIMEOUT = float(os.environ.get("KEFU_BENCH_SPARK_TIMEOUT", "1800"))
ALS = {"rank": 64, "iterations": 10, "reg": 0.05, "alpha": 10.0}


def _jvm_peak_mb(spark) -> float | None:
    try:
        pid = spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except (AttributeError, OSError, ValueError):
        return None
    return None


def _data(case: str, engine: str = "local"):
    """(train, items, relevant, n_items) of a case; relevant None for synthetic logs; for
    ``parquet:PATH`` and Spark, ``train`` is the file's URI (Spark reads it)."""
    from benchmarks.recsys import MOVIELENS, read_movielens, retail_split

    if case == "movielens":
        if not (MOVIELENS / "u1.base").is_file():
            return None
        train, test = read_movielens("u1.base"), read_movielens("u1.test")
        relevant = {u: set(g) for u, g in test.groupby("user_id")["item_id"]}
        return train, None, relevant, train["item_id"].nunique()
    if case == "retail":
        split = retail_split()
        if split is None:
            return None
        train, items, relevant = split
        return train, items, relevant, train["item_id"].nunique()
    if case.startswith("parquet:"):  # a log written by big(): read by each engine itself
        path = case.split(":", 1)[1]
        if engine == "local":
            return pd.read_parquet(path), None, None, None
        return f"file://{path}", None, None, None
    from benchmarks.recsys_scale import synthetic_log

    rows = int(case.split(":", 1)[1])
    log = synthetic_log(rows, users=max(rows // 20, 50), items=max(rows // 50, 100))
    return log, None, None, None


def measure(case: str, engine: str, master: str = "local[2]") -> dict:
    """One case with one engine, in this process (call it in a fresh one)."""
    from recsys import Recommender
    from recsys.metrics import ranking_metrics

    data = _data(case, engine)
    if data is None:
        return {"skipped": f"data set for {case!r} not found"}
    train, items, relevant, n_items = data
    out: dict = {"interactions": _rows(case) if isinstance(train, str) else len(train)}
    spark = None
    if engine == "local":
        start, cpu = time.perf_counter(), time.process_time()
        model = Recommender().fit(train, items)
        out["fit_seconds"] = round(time.perf_counter() - start, 2)
        out["fit_cpu_seconds"] = round(time.process_time() - cpu, 2)
    else:
        from recsys.spark import fit_on_spark, spark_session

        start = time.perf_counter()
        memory = os.environ.get("KEFU_BENCH_SPARK_DRIVER_MEMORY", "3g")
        spark = spark_session(master, app_name="kefu-bench", config={"spark.driver.memory": memory})
        out["session_start_seconds"] = round(time.perf_counter() - start, 2)
        kind = "als" if engine == "spark-als" else "similarity"
        start, cpu = time.perf_counter(), time.process_time()
        model = fit_on_spark(spark, train, items, model=kind, als=ALS)
        out["fit_seconds"] = round(time.perf_counter() - start, 2)
        out["driver_cpu_seconds"] = round(time.process_time() - cpu, 2)
        out["steps_seconds"] = {k: round(v, 2) for k, v in model.timings_.items()}
    if relevant is not None:
        scores = ranking_metrics(
            lambda u: [r.item_id for r in model.recommend(u, 10)], relevant, 10, n_items
        )
        out.update(
            {
                f"{k}@10": round(float(v), 4)
                for k, v in scores.items()
                if k not in ("coverage", "users")
            }
        )
        out["coverage"] = round(float(scores["coverage"]), 4)
    out["driver_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if spark is not None:
        out["jvm_peak_rss_mb"] = _jvm_peak_mb(spark)
        spark.stop()
    return out


def _rows(case: str) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(case.split(":", 1)[1]).metadata.num_rows


def _child(case: str, engine: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.recsys_spark", "--case", case, "--engine", engine]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=CASE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return {"timeout": f"over {CASE_TIMEOUT:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    result = json.loads(lines[-1])
    result["process_seconds"] = round(time.perf_counter() - start, 1)
    return result


def cost_model(results: dict) -> dict:
    """Least-squares ``seconds = fixed + per_row * rows`` per engine over every run (data sets
    and synthetic sizes), and the size at which Spark pays off.

    Machines are assumed like this one (2 cores) with perfect scaling of the per-row part
    (no network shuffle cost): ``spark(M) = fixed + per_row * rows / M``.
    """
    runs = [results.get(case, {}) for case in ("movielens", "retail")]
    runs += list(results.get("synthetic", {}).values())
    fits = {}
    for engine in ("local", "spark", "spark-als"):
        points = [
            (r[engine]["interactions"], r[engine]["fit_seconds"])
            for r in runs
            if "fit_seconds" in r.get(engine, {})
        ]
        if len({x for x, _ in points}) >= 2:
            x, y = np.array(points, dtype=float).T
            per_row, fixed = np.polyfit(x, y, 1)
            fits[engine] = {
                "fixed_seconds": round(float(fixed), 2),
                "us_per_row": round(float(per_row) * 1e6, 2),
                "runs": len(points),
            }
    if "local" not in fits or "spark" not in fits:
        return {"skipped": "needs runs of at least two sizes per engine"}
    local_row = fits["local"]["us_per_row"] / 1e6
    spark_row, spark_fixed = fits["spark"]["us_per_row"] / 1e6, fits["spark"]["fixed_seconds"]
    if spark_row <= 0 or local_row <= 0:
        return {
            "fits": fits,
            "unresolved": "per-row cost hidden by the fixed cost: run larger sizes",
        }
    out: dict = {
        "fits": fits,
        "spark_per_row_cost_vs_local": round(spark_row / local_row, 1),
        "note": "predictions are projected from the fits, not measured",
    }
    out["predictions"] = {}
    for machines in (1, 10, 100):
        gain = local_row - spark_row / machines
        pays = spark_fixed / gain if gain > 0 else None
        out["predictions"][f"{machines}_machines"] = {
            "spark_pays_off_above_rows": round(pays) if pays else "never (per-row cost higher)",
            "fit_seconds_10m_rows": round(spark_fixed + spark_row * 1e7 / machines, 1),
            "fit_seconds_100m_rows": round(spark_fixed + spark_row * 1e8 / machines, 1),
        }
    out["break_even_machines"] = round(spark_row / local_row, 1)
    out["local_fit_seconds_10m_rows"] = round(local_row * 1e7, 1)
    out["local_fit_seconds_100m_rows"] = round(local_row * 1e8, 1)
    return out


def run() -> dict:
    """Every case with every engine; returns the figures."""
    sizes = [int(s) for s in os.environ.get("KEFU_BENCH_SPARK_SIZES", "").split(",") if s] or SIZES
    results: dict = {
        "benchmark": "recsys_spark",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "spark_master": "local[2]",
    }
    from recsys.spark import spark_problem

    problem = spark_problem()
    if problem:
        results["skipped"] = problem
        return results
    for case in ("movielens", "retail"):
        print(f"   {case}", file=sys.stderr, flush=True)
        results[case] = {engine: _child(case, engine) for engine in ENGINES}
    scaling = {}
    for rows in sizes:
        print(f"   synthetic {rows:,}", file=sys.stderr, flush=True)
        scaling[str(rows)] = {engine: _child(f"synthetic:{rows}", engine) for engine in ENGINES}
    results["synthetic"] = scaling
    results["cost_model"] = cost_model(results)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def _available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def big() -> dict:
    """The big mode: synthetic logs of ``KEFU_BENCH_BIG_SIZES`` interactions (default
    100,000, 1,000,000 and 10,000,000) written as Parquet under ``KEFU_BENCH_BIG_DIR``
    (default ``/tmp``) and deleted after their runs; Spark reads each file by its
    ``file://`` URI, the local engine with pandas, only where it fits in memory (about
    1.2 GB per million interactions, measured at 1M, against half of ``MemAvailable``). An
    engine that timed out is not run at the larger sizes; ``KEFU_BENCH_BIG_ENGINES`` picks
    the engines (default ``local,spark-als,spark``). The figures so far are rewritten
    after each run to ``KEFU_BENCH_BIG_OUT`` (default ``var/bench/recsys_spark_big.json``).
    """
    import gc
    import tempfile

    from benchmarks.recsys_scale import synthetic_log
    from kefu.settings import get_settings

    sizes = [int(s) for s in os.environ.get("KEFU_BENCH_BIG_SIZES", "").split(",") if s]
    target = Path(
        os.environ.get("KEFU_BENCH_BIG_OUT")
        or get_settings().ensure_var() / "bench" / "recsys_spark_big.json"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "benchmark": "recsys_spark",
        "mode": "big",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "spark_master": "local[2]",
        "case_timeout_seconds": CASE_TIMEOUT,
        "synthetic": {},
    }
    timed_out: set[str] = set()
    engines = os.environ.get("KEFU_BENCH_BIG_ENGINES", "local,spark-als,spark").split(",")
    root = os.environ.get("KEFU_BENCH_BIG_DIR", "/tmp")
    with tempfile.TemporaryDirectory(prefix="kefu-bench-big-recsys-", dir=root) as tmp:
        for rows in sizes or (100_000, 1_000_000, 10_000_000):
            started = time.perf_counter()
            # asked for a quarter more, as duplicates are dropped: ``rows`` remain (about)
            log = synthetic_log(
                rows * 5 // 4, users=max(rows // 20, 50), items=max(rows // 50, 100)
            ).iloc[:rows]
            path = Path(tmp) / f"log-{rows}.parquet"
            log.to_parquet(path, index=False)
            del log
            gc.collect()
            print(f"   synthetic {rows:,}: written in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
            runs: dict = results["synthetic"].setdefault(str(rows), {})
            for engine in engines:
                # 1.2 GB per million rows is above the local engine's measured peaks (0.83
                # GB at 1M, ~6 GB projected at 10M): skip only when even that cannot fit
                need, free = 1.2 * rows / 1e6, _available_gb()
                if engine == "local" and need > free * 0.8:
                    runs[engine] = {"skipped": f"needs ~{need:.0f} GB, {free:.0f} GB available"}
                elif engine in timed_out:
                    runs[engine] = {"skipped": "timed out at a smaller size"}
                else:
                    print(f"     {engine}", file=sys.stderr, flush=True)
                    runs[engine] = _child(f"parquet:{path}", engine)
                    runs[engine]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
                    if "timeout" in runs[engine]:
                        timed_out.add(engine)
                results["cost_model"] = cost_model(results)
                target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
            path.unlink()
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="movielens, retail or synthetic:ROWS (default: all)")
    parser.add_argument("--engine", choices=ENGINES, default="spark")
    parser.add_argument("--big", action="store_true", help="the big mode (see big())")
    args = parser.parse_args(argv)
    if args.big:
        result = big()
    else:
        result = measure(args.case, args.engine) if args.case else run()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
