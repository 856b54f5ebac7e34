"""``kefu analyze customers`` on UCI Online Retail and CDNOW (time splits of their README).

Online Retail: test period from 2011-11-01 to the end of the data (2011-12-09); CDNOW: the
standard hold-out, 1997-10-01 to 1998-06-30. For each: RFM segments, the propensity
model's accuracy, precision, recall, F1 and ROC AUC on the test period beside a
recency-only baseline (logistic regression on recency alone), seconds and peak memory
of the ``kefu`` process. Also the demo shop when its database exists. Prints JSON;
``python -m benchmarks.analytics_customers``.
"""

from __future__ import annotations

import json
import os
import tempfile

from benchmarks.analytics_common import DATASETS, report_dir, run_kefu

SETS = {
    "online_retail_uci": (DATASETS / "online_retail_uci" / "transactions.csv", "2011-11-01"),
    "cdnow": (DATASETS / "cdnow" / "CDNOW_master.txt", "1997-10-01"),
}


def _one(args: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = run_kefu([*args, "--out", tmp])
        if result["returncode"] != 0:
            raise RuntimeError(result["stderr"])
        summary = json.loads(
            (report_dir(result["stdout"]) / "summary.json").read_text(encoding="utf-8")
        )
    prop = summary["propensity"]
    return {
        "command": " ".join(["kefu", *args]),
        "customers": summary["rfm"]["customers"],
        "segments": {s["key"]: s["customers"] for s in summary["segments"]["segments"]},
        "propensity": {
            k: prop.get(k)
            for k in (
                "model",
                "train_cutoff",
                "test_cutoff",
                "horizon_days",
                "test_customers",
                "test_base_rate",
                "metrics",
                "baseline",
                "skipped",
            )
        },  # fmt: skip
        "roc_auc": (prop.get("metrics") or {}).get("roc_auc"),
        "baseline_roc_auc": (prop.get("baseline") or {}).get("roc_auc"),
        "seconds": result["seconds"],
        "peak_memory_pss_mb": result["peak_pss_mb"],
    }


def run() -> dict:
    results: dict = {}
    for name, (path, cutoff) in SETS.items():
        if not path.is_file():
            results[name] = {"skipped": f"{path} not found"}
            continue
        args = ["analyze", "customers", "--transactions", str(path), "--test-cutoff", cutoff]
        results[name] = _one(args)
        results[f"{name}_forest"] = _one([*args, "--model", "forest"])
    from kefu.shop.db import is_initialised

    if is_initialised():
        results["demo_shop"] = _one(["analyze", "customers"])
    results["load_average"] = os.getloadavg()[0]
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
