"""``kefu analyze texts`` on a synthetic 1,000,000-row CSV (bounded memory, bad rows).

The file is generated in a temporary directory from the demo review phrase banks
(``data/demo/reviews.json``: Chinese and English, positive, negative and mixed), with a
date, category, channel and rating per row, and one bad row in a thousand (empty text,
wrong date, wrong number of fields). Reports seconds and peak memory of the process tree
(PSS: shared pages counted once) and checks that every bad row was counted.
``KEFU_BENCH_LARGE_ROWS`` changes the number of rows. Prints JSON;
``python -m benchmarks.analytics_large``.
"""

from __future__ import annotations

import csv
import json
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.analytics_common import report_dir, run_kefu
from kefu.settings import get_settings

ROWS = int(os.environ.get("KEFU_BENCH_LARGE_ROWS", "1000000"))
LIMIT_MB = 2048
CATEGORIES = ["手机", "服装", "食品", "家电", "图书", "美妆", "运动", "宠物"]
CHANNELS = ["app", "web", "weibo", "wechat"]


def _phrases() -> dict[tuple[str, str], list[str]]:
    bank = json.loads((get_settings().data_dir / "demo" / "reviews.json").read_text("utf-8"))
    phrases: dict[tuple[str, str], list[str]] = {}
    for lang, parts in bank.items():
        for tone in ("pos", "neg", "mid"):
            items = [p for aspect in parts["aspects"].values() for p in aspect.get(tone, [])]
            phrases[(lang, tone)] = [
                p.replace("{noun}", "").replace("{feature}", "") for p in items
            ]
    return phrases


def generate(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    """Write the synthetic file; return how many bad rows of each kind it has."""
    rng = random.Random(seed)
    phrases = _phrases()
    start = date(2025, 1, 1)
    bad = {"empty": 0, "date": 0, "fields": 0}
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "date", "category", "channel", "rating"])
        for i in range(rows):
            lang = "zh" if rng.random() < 0.7 else "en"
            tone = rng.choices(("pos", "neg", "mid"), (0.6, 0.3, 0.1))[0]
            parts = rng.sample(phrases[(lang, tone)], k=min(3, len(phrases[(lang, tone)])))
            text = ("，" if lang == "zh" else ", ").join(parts[: rng.randint(1, 3)])
            text += f" #{i}"  # every text distinct
            rating = {"pos": rng.choice((4, 5)), "neg": rng.choice((1, 2)), "mid": 3}[tone]
            day = (start + timedelta(days=rng.randrange(365))).isoformat()
            row = [text, day, rng.choice(CATEGORIES), rng.choice(CHANNELS), rating]
            if i % 1000 == 500:
                kind = ("empty", "date", "fields")[(i // 1000) % 3]
                bad[kind] += 1
                if kind == "empty":
                    row[0] = ""
                elif kind == "date":
                    row[1] = "not-a-date"
                else:
                    row.append("extra")
            writer.writerow(row)
    return bad


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv"
        started = time.perf_counter()
        injected = generate(path, ROWS)
        generate_seconds = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        from kefu.nlp_models import load_sentiment_model

        load_sentiment_model()  # trained first when missing: not part of the timing
        result = run_kefu(["analyze", "texts", str(path), "--out", tmp, "--quiet"])
        if result["returncode"] != 0:
            raise RuntimeError(result["stderr"])
        summary = json.loads(
            (report_dir(result["stdout"]) / "summary.json").read_text(encoding="utf-8")
        )
    bad = summary["bad_rows"]
    expected_bad = sum(injected.values())
    return {
        "rows": ROWS,
        "file_mb": round(size_mb, 1),
        "generate_seconds": round(generate_seconds, 1),
        "command": "kefu analyze texts synthetic.csv --out TMP --quiet",
        "texts_analysed": summary["texts"],
        "seconds": result["seconds"],
        "texts_per_second": round(summary["texts"] / result["seconds"], 1),
        "peak_memory_pss_mb": result["peak_pss_mb"],
        "peak_memory_rss_sum_mb": result["peak_rss_mb"],
        "memory_limit_mb": LIMIT_MB,
        "within_limit": result["peak_pss_mb"] is not None and result["peak_pss_mb"] <= LIMIT_MB,
        "bad_rows_injected": injected,
        "bad_rows_reported": bad["by_reason"],
        "all_bad_rows_counted": bad["total"] == expected_bad,
        "load_average": os.getloadavg()[0],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
