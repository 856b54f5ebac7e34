"""The HTML page of the texts report."""

from __future__ import annotations

from collections.abc import Sequence

from analytics import charts
from analytics.report import HtmlReport, fmt, label

__all__ = ["texts_page"]

SENT = ("positive", "neutral", "negative")


def _sentiment_legend() -> dict[str, str]:
    return {s: label(s) for s in SENT}


def _distribution_rows(groups: list[dict]) -> list[list]:
    return [
        [
            g["value"],
            g["n"],
            fmt(g["shares"].get("positive", 0.0), True),
            fmt(g["shares"].get("negative", 0.0), True),
        ]
        for g in groups
    ]


def _stacked(groups: list[dict], title: str) -> str:
    present = [s for s in SENT if any(g["counts"].get(s) for g in groups)]
    series: dict[str, Sequence[float]] = {
        s: [g["shares"].get(s, 0.0) for g in groups] for s in present
    }
    return HtmlReport.chart(
        charts.stacked_bars(
            [g["value"] for g in groups], series, title=title, legend=_sentiment_legend()
        )
    )


def texts_page(summary: dict, title: str, created_at: str) -> str:
    """The texts report."""
    inp = summary.get("input", {})
    report = HtmlReport(title, f"{label('input_file')}: {inp.get('file', '')} · {created_at}")
    dist = summary["sentiment"]
    bad = summary["bad_rows"]
    report.section(
        label("overview"),
        HtmlReport.cards(
            [
                (label("texts_analysed"), fmt(summary["texts"])),
                (label("positive"), fmt(dist["shares"].get("positive", 0.0), True)),
                (label("negative"), fmt(dist["shares"].get("negative", 0.0), True)),
                (label("mean_confidence"), fmt(summary["mean_confidence"])),
                (label("bad_rows"), fmt(bad["total"])),
                (label("texts_per_second"), fmt(inp.get("texts_per_second"))),
            ]
        ),
    )
    if summary["texts"]:
        counts = dist["counts"]
        report.section(
            label("sentiment_distribution"),
            HtmlReport.chart(
                charts.bar_chart(
                    [label(k) for k in counts],
                    [counts[k] for k in counts],
                    title=label("sentiment_distribution"),
                    colors=[charts.COLORS.get(k, charts.PALETTE[0]) for k in counts],
                )
            ),
            HtmlReport.table(
                [label("language"), label("texts"), label("positive"), label("negative")],
                [
                    [
                        lang,
                        d["n"],
                        fmt(d["shares"].get("positive", 0.0), True),
                        fmt(d["shares"].get("negative", 0.0), True),
                    ]
                    for lang, d in summary["sentiment_by_language"].items()
                ],
                numeric=(1, 2, 3),
            ),
        )
    for field, groups in summary.get("sentiment_by", {}).items():
        if not groups:
            continue
        report.section(
            label(f"sentiment_by_{field}"),
            _stacked(groups[:15], label(f"sentiment_by_{field}")),
            HtmlReport.table(
                [label(field), label("texts"), label("positive"), label("negative")],
                _distribution_rows(groups),
                numeric=(1, 2, 3),
            ),
        )
    trend = summary.get("trend")
    if trend:
        periods = trend["periods"]
        spikes = set(trend["spikes"])
        report.section(
            label("sentiment_trend"),
            HtmlReport.chart(
                charts.line_chart(
                    [p["period"] for p in periods],
                    {label("negative_share"): [p["negative_share"] for p in periods]},
                    title=f"{label('sentiment_trend')} ({label(trend['freq'])})",
                    marks=[i for i, p in enumerate(periods) if p["period"] in spikes],
                    mark_label=label("spike"),
                    percent=True,
                )
            ),
            HtmlReport.paragraph(
                f"{label('spikes')}: " + (", ".join(sorted(spikes)) or label("none")),
                "warn" if spikes else "note",
            ),
            HtmlReport.table(
                [label("period"), label("texts"), label("negative_share"), "z", label("spike")],
                [
                    [
                        p["period"],
                        p["n"],
                        fmt(p["negative_share"], True),
                        p["z"],
                        "⚠" if p["spike"] else "",
                    ]
                    for p in periods[-60:]
                ],
                numeric=(1, 2, 3),
            ),
            note=f"{label('undated_texts')}: {fmt(trend['undated_texts'])}",
        )
    keywords = summary.get("keywords_by_sentiment", {})
    if keywords:
        blocks = []
        for sentiment in [s for s in SENT if s in keywords]:
            terms = keywords[sentiment]
            if terms:
                blocks.append(
                    HtmlReport.chart(
                        charts.bar_chart(
                            [t["term"] for t in terms[:12]],
                            [t["count"] for t in terms[:12]],
                            title=f"{label('top_keywords')}: {label(sentiment)}",
                            colors=[charts.COLORS[sentiment]] * len(terms[:12]),
                        )
                    )
                )
        report.section(label("top_keywords"), HtmlReport.grid(*blocks))
    by_cat = summary.get("keywords_by_category", {})
    if by_cat:
        report.section(
            label("keywords_by_category"),
            HtmlReport.table(
                [label("category"), label("top_keywords")],
                [[cat, " · ".join(t["term"] for t in terms[:10])] for cat, terms in by_cat.items()],
            ),
        )
    themes = summary["complaint_themes"]
    if themes["themes"]:
        blocks = [
            HtmlReport.chart(
                charts.bar_chart(
                    [t["name"] for t in themes["themes"]],
                    [t["share"] for t in themes["themes"]],
                    title=label("complaint_themes"),
                    colors=[charts.COLORS["negative"]] * len(themes["themes"]),
                    percent=True,
                )
            )
        ]
        for theme in themes["themes"]:
            blocks.append(HtmlReport.heading(f"{theme['name']} ({fmt(theme['share'], True)})"))
            blocks.append(HtmlReport.tags(theme["terms"]))
            blocks.append(HtmlReport.quotes(theme["examples"]))
        report.section(
            label("complaint_themes"),
            *blocks,
            note=f"{label('negative_texts')}: {fmt(themes['negative_texts'])}, "
            f"{label('sampled')}: {fmt(themes['sampled'])}",
        )
    agreement = summary.get("rating_agreement")
    if agreement:
        present = [
            s for s in SENT if any(agreement["by_rating"][r].get(s) for r in agreement["by_rating"])
        ]
        report.section(
            label("rating_agreement"),
            HtmlReport.cards(
                [
                    (label("agreement"), fmt(agreement["agreement"], True)),
                    (label("compared"), fmt(agreement["compared"])),
                ]
            ),
            HtmlReport.table(
                [label("rating")] + [label(s) for s in present],
                [[r] + [c.get(s, 0) for s in present] for r, c in agreement["by_rating"].items()],
                numeric=tuple(range(1, len(present) + 1)),
            ),
            note=agreement["rule"],
        )
    intents = summary.get("intents")
    if intents:
        mix = intents["mix"]
        report.section(
            label("intent_mix"),
            HtmlReport.chart(
                charts.bar_chart(
                    [m["intent"] for m in mix], [m["count"] for m in mix], title=label("intent_mix")
                )
            ),
        )
    _bad_rows_section(report, bad)
    return report.render(created_at)


def _bad_rows_section(report: HtmlReport, bad: dict) -> None:
    blocks = [
        HtmlReport.cards(
            [
                (label("bad_rows"), fmt(bad["total"])),
                (label("skipped"), fmt(bad["skipped"])),
                (label("kept_without_field"), fmt(bad["kept_without_field"])),
            ]
        )
    ]
    if bad["total"]:
        blocks.append(
            HtmlReport.table(
                [label("reason"), label("rows")], list(bad["by_reason"].items()), numeric=(1,)
            )
        )
        blocks.append(
            HtmlReport.table(
                [label("line"), label("reason"), label("skipped")],
                [
                    [b["line"], b["reason"], "✓" if b["skipped"] else ""]
                    for b in bad["listed"][:200]
                ],
                numeric=(0,),
            )
        )
    report.section(label("bad_rows"), *blocks, note=label("bad_rows_note"))
