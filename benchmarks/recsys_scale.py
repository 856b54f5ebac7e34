"""Scale run of the recommender on a synthetic log (default 1,000,000 interactions, 50,000
users, 20,000 items), in its own process so that its peak memory is its own.

Run by ``benchmarks/recsys.py``; alone: ``python -m benchmarks.recsys_scale [--rows N]``.
Prints JSON. (No ``run()``: ``python -m benchmarks`` runs it through ``benchmarks.recsys``.)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

from recsys import Recommender


def synthetic_log(
    rows: int = 1_000_000, users: int = 50_000, items: int = 20_000, seed: int = 0
) -> pd.DataFrame:
    """Users with a favourite item cluster (80% of their events), Zipf-like popularity,
    ratings higher inside the favourite cluster; duplicates removed, ``rows`` kept."""
    rng = np.random.default_rng(seed)
    clusters = 50
    per_cluster = items // clusters
    want = int(rows * 1.4)
    activity = rng.lognormal(0, 1.0, users)
    user = rng.choice(users, size=want, p=activity / activity.sum())
    favourite = rng.integers(clusters, size=users)
    in_cluster = rng.random(want) < 0.8
    cluster = np.where(in_cluster, favourite[user], rng.integers(clusters, size=want))
    weights = 1.0 / np.arange(1, per_cluster + 1) ** 0.8
    cdf = np.cumsum(weights) / weights.sum()
    rank = np.searchsorted(cdf, rng.random(want))
    item = cluster * per_cluster + rank
    rating = np.clip(np.rint(rng.normal(np.where(in_cluster, 4.0, 2.8), 0.9)), 1, 5)
    frame = pd.DataFrame({"user_id": user, "item_id": item, "rating": rating})
    frame = frame.drop_duplicates(["user_id", "item_id"]).iloc[:rows].reset_index(drop=True)
    frame["timestamp"] = np.arange(len(frame), dtype=np.int64)
    return frame


def measure(rows: int = 1_000_000, users: int = 50_000, items: int = 20_000) -> dict:
    """Fit, predict and recommend timings and this process's peak memory."""
    log = synthetic_log(rows, users, items)
    start, cpu = time.perf_counter(), time.process_time()
    model = Recommender().fit(log)
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    rng = np.random.default_rng(1)
    pairs = log.sample(100_000, random_state=1)
    start = time.perf_counter()
    model.predict(pairs["user_id"].to_numpy(), rng.permutation(pairs["item_id"].to_numpy()))
    predict_us = (time.perf_counter() - start) / len(pairs) * 1e6
    sample = rng.choice(log["user_id"].unique(), size=1000, replace=False)
    latencies, cpu = [], []
    for user in sample:
        start, start_cpu = time.perf_counter(), time.thread_time()
        model.recommend(int(user), n=10)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        latencies.append((time.perf_counter() - start) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "interactions": len(log),
        "users": int(log["user_id"].nunique()),
        "items": int(log["item_id"].nunique()),
        "fit_seconds": round(fit_seconds, 1),
        "fit_cpu_seconds": round(fit_cpu, 1),
        "predict_us_per_pair": round(predict_us, 2),
        "recommend_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "recommend_ms_p99": round(float(np.percentile(latencies, 99)), 2),
        "recommend_cpu_ms_p50": round(float(np.percentile(cpu, 50)), 2),
        "recommend_cpu_ms_p99": round(float(np.percentile(cpu, 99)), 2),
        "peak_memory_mb": round(peak_mb),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.rows, args.users, args.items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
