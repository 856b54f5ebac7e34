"""Aggregates of analysed texts, updated one text at a time in bounded memory.

:class:`TextAggregates` keeps counters only (and a fixed-size random sample of negative
texts for the complaint themes), so a file of any size is summarised in constant memory;
:meth:`TextAggregates.summary` turns them into the figures of the report.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import date, timedelta

from analytics.readers import BadRow, Record
from analytics.themes import complaint_themes
from nlp.keywords import top_terms_by_group

__all__ = ["SENTIMENTS", "TextAggregates", "negative_spikes", "sentiment_name"]

SENTIMENTS = ("positive", "neutral", "negative")
GROUP_FIELDS = ("category", "product", "channel")
OTHER = "(other)"
MAX_BAD_ROWS_LISTED = 1_000


def sentiment_name(label: object) -> str:
    """The report's name of a classifier label: ``positive``, ``negative`` or ``neutral``."""
    text = str(label).strip().lower()
    if text.startswith("pos") or text in ("1", "good", "正面", "积极", "好评"):
        return "positive"
    if text.startswith("neg") or text in ("0", "-1", "bad", "负面", "消极", "差评"):
        return "negative"
    if text.startswith("neu") or text in ("中性",):
        return "neutral"
    return text


def _bounded(counter: Counter, limit: int) -> None:
    """Keep the ``limit // 2`` most common keys once ``counter`` holds more than ``limit``."""
    if len(counter) > limit:
        kept = counter.most_common(limit // 2)
        counter.clear()
        counter.update(dict(kept))


def negative_spikes(
    periods: list[dict], overall_share: float, *, z: float = 3.0, min_texts: int = 5
) -> list[dict]:
    """Mark the periods whose negative share is abnormally high.

    A period is a spike when it has at least ``min_texts`` texts, its negative share is
    at least 10 points above ``overall_share`` and the binomial z-score
    ``(share - p) / sqrt(p (1 - p) / n)`` is at least ``z``.

    Args:
        periods: ``{"period", "n", "negative_share", ...}`` dicts; a boolean ``"spike"``
            and the ``"z"`` score are set on each.
        overall_share: the negative share over all dated texts.

    Returns:
        The spike periods.
    """
    p = min(max(overall_share, 1e-6), 1 - 1e-6)
    spikes = []
    for period in periods:
        n = period["n"]
        share = period["negative_share"]
        score = (share - p) / math.sqrt(p * (1 - p) / n) if n else 0.0
        period["z"] = round(score, 2)
        period["spike"] = bool(n >= min_texts and share - p >= 0.10 and score >= z)
        if period["spike"]:
            spikes.append(period)
    return spikes


def _period_start(day: date, freq: str) -> date:
    if freq == "week":
        return day - timedelta(days=day.weekday())
    if freq == "month":
        return day.replace(day=1)
    return day


class TextAggregates:
    """Running counters over analysed texts.

    Args:
        sample_size: negative texts kept (reservoir sample) for the complaint themes.
        max_groups: distinct values kept per group field (category, product, channel);
            later new values are counted under ``"(other)"``.
        max_terms: distinct keywords kept per counter before the rarest are pruned.
        seed: seed of the reservoir sample.
    """

    def __init__(
        self,
        *,
        sample_size: int = 5_000,
        max_groups: int = 10_000,
        max_terms: int = 100_000,
        seed: int = 0,
    ) -> None:
        self.sample_size = sample_size
        self.max_groups = max_groups
        self.max_terms = max_terms
        self._rng = random.Random(seed)
        self.n = 0
        self.sentiment: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.by_language: dict[str, Counter] = defaultdict(Counter)
        self.groups: dict[str, dict[str, Counter]] = {f: defaultdict(Counter) for f in GROUP_FIELDS}
        self.by_day: Counter[tuple[date, str]] = Counter()
        self.undated = 0
        self.keywords_by_sentiment: dict[str, Counter] = defaultdict(Counter)
        self.keywords_by_category: dict[str, Counter] = defaultdict(Counter)
        self.ratings: Counter[tuple[float, str]] = Counter()
        self.intents: Counter[str] = Counter()
        self.intent_sentiment: dict[str, Counter] = defaultdict(Counter)
        self.confidence_sum = 0.0
        self.negatives_seen = 0
        self.negative_sample: list[tuple[str, tuple[str, ...]]] = []
        self.bad_rows: list[dict] = []
        self.bad_total = 0
        self.bad_skipped = 0
        self.bad_reasons: Counter[str] = Counter()

    # -- updates -------------------------------------------------------------------------
    def add_bad(self, bad: BadRow) -> None:
        """Count a bad row (and list it while fewer than 1,000 are listed)."""
        self.bad_total += 1
        self.bad_skipped += bad.skipped
        self.bad_reasons[bad.reason.split(":")[0]] += 1
        if len(self.bad_rows) < MAX_BAD_ROWS_LISTED:
            self.bad_rows.append({"line": bad.line, "reason": bad.reason, "skipped": bad.skipped})

    def add(
        self,
        record: Record,
        language: str,
        sentiment: str,
        confidence: float,
        keywords: list[str],
        intent: str | None = None,
    ) -> None:
        """Count one analysed text."""
        self.n += 1
        self.sentiment[sentiment] += 1
        self.confidence_sum += confidence
        self.languages[language] += 1
        self.by_language[language][sentiment] += 1
        for field in GROUP_FIELDS:
            value = getattr(record, field)
            if value is None:
                continue
            groups = self.groups[field]
            if value not in groups and len(groups) >= self.max_groups:
                value = OTHER
            groups[value][sentiment] += 1
        if record.date is not None:
            self.by_day[(record.date, sentiment)] += 1
        else:
            self.undated += 1
        if keywords:
            counter = self.keywords_by_sentiment[sentiment]
            counter.update(keywords)
            _bounded(counter, self.max_terms)
            if record.category is not None:
                key = record.category if record.category in self.groups["category"] else OTHER
                counter = self.keywords_by_category[key]
                counter.update(keywords)
                _bounded(counter, self.max_terms)
        if record.rating is not None:
            self.ratings[(round(record.rating * 2) / 2, sentiment)] += 1
        if intent is not None:
            self.intents[intent] += 1
            self.intent_sentiment[intent][sentiment] += 1
        if sentiment == "negative":
            self.negatives_seen += 1
            item = (record.text[:300], tuple(keywords))
            if len(self.negative_sample) < self.sample_size:
                self.negative_sample.append(item)
            else:
                j = self._rng.randrange(self.negatives_seen)
                if j < self.sample_size:
                    self.negative_sample[j] = item

    # -- summary -------------------------------------------------------------------------
    def summary(
        self,
        *,
        n_themes: int = 6,
        top_keywords: int = 15,
        top_groups: int = 20,
        spike_z: float = 3.0,
        trend_freq: str = "auto",
    ) -> dict:
        """Every figure of the texts report (JSON-serialisable)."""
        return {
            "texts": self.n,
            "sentiment": self._distribution(self.sentiment),
            "mean_confidence": round(self.confidence_sum / self.n, 4) if self.n else None,
            "languages": dict(self.languages.most_common()),
            "sentiment_by_language": {
                lang: self._distribution(c) for lang, c in sorted(self.by_language.items())
            },
            "sentiment_by": {
                field: self._groups(field, top_groups)
                for field in GROUP_FIELDS
                if self.groups[field]
            },
            "trend": self._trend(spike_z, trend_freq),
            "keywords_by_sentiment": self._keywords(self.keywords_by_sentiment, top_keywords),
            "keywords_by_category": self._keywords(self._top_categories(top_groups), top_keywords),
            "complaint_themes": {
                "negative_texts": self.negatives_seen,
                "sampled": len(self.negative_sample),
                "themes": complaint_themes(self.negative_sample, n_themes=n_themes),
            },
            "rating_agreement": self._rating_agreement(),
            "intents": self._intents(top_groups) if self.intents else None,
            "bad_rows": {
                "total": self.bad_total,
                "skipped": self.bad_skipped,
                "kept_without_field": self.bad_total - self.bad_skipped,
                "by_reason": dict(self.bad_reasons.most_common()),
                "listed": self.bad_rows,
            },
        }

    @staticmethod
    def _distribution(counter: Counter) -> dict:
        total = sum(counter.values())
        labels = [s for s in SENTIMENTS if counter.get(s)] + sorted(
            k for k in counter if k not in SENTIMENTS
        )
        return {
            "n": total,
            "counts": {k: counter[k] for k in labels},
            "shares": {k: round(counter[k] / total, 4) for k in labels} if total else {},
            "negative_share": round(counter.get("negative", 0) / total, 4) if total else None,
        }

    def _groups(self, field: str, top: int) -> list[dict]:
        items = sorted(self.groups[field].items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        return [{"value": value, **self._distribution(c)} for value, c in items[:top]]

    def _top_categories(self, top: int) -> dict[str, Counter]:
        sizes = {k: sum(v.values()) for k, v in self.groups["category"].items()}
        keep = sorted(self.keywords_by_category, key=lambda k: (-sizes.get(k, 0), k))[:top]
        return {k: self.keywords_by_category[k] for k in keep}

    @staticmethod
    def _keywords(counts: dict[str, Counter], top: int) -> dict[str, list[dict]]:
        ranked = top_terms_by_group(dict(counts), top_k=top, min_count=1)
        return {
            group: [{"term": t, "count": c, "score": s} for t, c, s in terms]
            for group, terms in sorted(ranked.items())
        }

    def _trend(self, spike_z: float, freq: str) -> dict | None:
        if not self.by_day:
            return None
        days = sorted({d for d, _ in self.by_day})
        span = (days[-1] - days[0]).days
        if freq == "auto":
            freq = "day" if span <= 92 else "week" if span <= 731 else "month"
        if freq not in ("day", "week", "month"):
            raise ValueError(f"trend_freq must be auto, day, week or month, got {freq!r}")
        periods: dict[date, Counter] = defaultdict(Counter)
        for (day, sentiment), count in self.by_day.items():
            periods[_period_start(day, freq)][sentiment] += count
        rows = []
        for start in sorted(periods):
            counter = periods[start]
            n = sum(counter.values())
            rows.append(
                {
                    "period": start.isoformat(),
                    "n": n,
                    "counts": dict(counter),
                    "negative_share": round(counter.get("negative", 0) / n, 4),
                }
            )
        dated = sum(self.by_day.values())
        negatives = sum(c for (_, s), c in self.by_day.items() if s == "negative")
        overall = negatives / dated
        spikes = negative_spikes(rows, overall, z=spike_z)
        return {
            "freq": freq,
            "dated_texts": dated,
            "undated_texts": self.undated,
            "negative_share": round(overall, 4),
            "periods": rows,
            "spikes": [s["period"] for s in spikes],
        }

    def _rating_agreement(self) -> dict | None:
        if not self.ratings:
            return None
        top = max(r for r, _ in self.ratings)
        scale = 5 if top <= 5 else 10
        positive_from, negative_to = (4, 2) if scale == 5 else (7, 4)

        def expected(rating: float) -> str | None:
            if rating >= positive_from:
                return "positive"
            if rating <= negative_to:
                return "negative"
            return None

        table: dict[str, Counter] = defaultdict(Counter)
        agree = compared = 0
        for (rating, sentiment), count in self.ratings.items():
            table[f"{rating:g}"][sentiment] += count
            want = expected(rating)
            if want is not None and sentiment in ("positive", "negative"):
                compared += count
                agree += count if sentiment == want else 0
        return {
            "scale": scale,
            "rule": f"rating >= {positive_from} positive, <= {negative_to} negative, "
            "others not compared",
            "rated_texts": sum(self.ratings.values()),
            "compared": compared,
            "agreement": round(agree / compared, 4) if compared else None,
            "by_rating": {r: dict(table[r]) for r in sorted(table, key=float)},
        }

    def _intents(self, top: int) -> dict:
        total = sum(self.intents.values())
        return {
            "n": total,
            "mix": [
                {
                    "intent": intent,
                    "count": count,
                    "share": round(count / total, 4),
                    "negative_share": round(
                        self.intent_sentiment[intent].get("negative", 0) / count, 4
                    ),
                }
                for intent, count in sorted(self.intents.items(), key=lambda kv: (-kv[1], kv[0]))[
                    :top
                ]
            ],
        }
