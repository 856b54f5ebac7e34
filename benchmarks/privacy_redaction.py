"""Personal-data redaction (``nlp.redact``) on the held-out labelled set in
``tests/data/privacy/*.jsonl`` (written by a separate author; see its README).

A labelled value counts as found when every one of its characters lies inside a masked
span and the value no longer appears in the redacted text. Addresses are also scored
leniently ("address_overlap": at least half of the value's characters masked), since
whether a city or postcode tail belongs to an address is a judgement call. A negative
(an item with no labelled value) counts as changed when its redacted text differs from
it. Positives are also checked for masks reaching outside their labelled values.
Prints JSON: recall per type, negatives changed, per language and overall, and the time
per message.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from nlp.redact import KINDS, find_pii, redact

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "privacy"
BLIND = DATA / "blind2"


def load(path: Path | None = None) -> dict[str, list[dict]]:
    """The labelled items per language (``zh``, ``en``), from ``redaction_<lang>.jsonl``."""
    folder = path or DATA
    items: dict[str, list[dict]] = {}
    for file in sorted(folder.glob("redaction_*.jsonl")):
        lang = file.stem.split("_", 1)[1]
        with file.open(encoding="utf-8") as f:
            items[lang] = [json.loads(line) for line in f if line.strip()]
    return items


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(value)
    while start >= 0:
        spans.append((start, start + len(value)))
        start = text.find(value, start + 1)
    return spans


def score(items: list[dict]) -> dict:
    """Counts and rates for one list of items."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # type -> [found, total]
    overlap = [0, 0]
    missed: list[dict] = []
    negatives = changed = spill = 0
    changed_ids: list[str] = []
    for item in items:
        text = item["text"]
        spans = find_pii(text)
        out = redact(text)
        masked = bytearray(len(text))
        for span in spans:
            masked[span.start : span.end] = b"\x01" * (span.end - span.start)
        if not item["pii"]:
            negatives += 1
            if out != text:
                changed += 1
                changed_ids.append(item["id"])
            continue
        labelled = bytearray(len(text))
        for pii in item["pii"]:
            occurrences = _occurrences(text, pii["value"])
            for start, end in occurrences:
                labelled[start:end] = b"\x01" * (end - start)
            ok = bool(occurrences) and pii["value"] not in out
            ok = ok and all(all(masked[start:end]) for start, end in occurrences)
            found[pii["type"]][0] += ok
            found[pii["type"]][1] += 1
            if pii["type"] == "address":
                covered = sum(masked[s] for s, e in occurrences[:1] for s in range(s, e))
                overlap[0] += covered * 2 >= len(pii["value"])
                overlap[1] += 1
            if not ok:
                missed.append({"id": item["id"], "type": pii["type"], "value": pii["value"]})
        spill += any(
            m and not lab and not text[i].isspace()
            for i, (m, lab) in enumerate(zip(masked, labelled, strict=True))
        )
    recall = {k: round(found[k][0] / found[k][1], 4) for k in KINDS if found[k][1]}
    return {
        "items": len(items),
        "recall": recall,
        "found": {k: f"{found[k][0]}/{found[k][1]}" for k in KINDS if found[k][1]},
        "address_overlap": round(overlap[0] / overlap[1], 4) if overlap[1] else None,
        "negatives": negatives,
        "negatives_changed": changed,
        "negatives_changed_pct": round(100 * changed / negatives, 2) if negatives else None,
        "positives_masked_beyond_labels": spill,
        "missed": missed,
        "negatives_changed_ids": changed_ids,
    }


def timing(texts: list[str], repeat: int = 3) -> float:
    """Best of ``repeat`` runs: microseconds per message for ``redact``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            redact(text)
        best = min(best, time.perf_counter() - start)
    return round(best / len(texts) * 1e6, 1)


def run() -> dict:
    """The figures, per language and over both."""
    items = load()
    if not items:
        return {"skipped": f"no redaction_*.jsonl in {DATA}"}
    result: dict = {lang: score(lang_items) for lang, lang_items in items.items()}
    everything = [item for lang_items in items.values() for item in lang_items]
    result["all"] = score(everything)
    result["us_per_message"] = timing([item["text"] for item in everything])
    # the second set, written blind on 2026-12-03 after the rules were tuned on the first
    blind = load(BLIND)
    if blind:
        result["blind2"] = {lang: score(lang_items) for lang, lang_items in blind.items()}
        result["blind2"]["all"] = score([i for lang_items in blind.values() for i in lang_items])
    return result


if __name__ == "__main__":
    json.dump(run(), sys.stdout, indent=2, ensure_ascii=False)
    print()
