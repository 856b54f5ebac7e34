"""The HTML page of the conversations report."""

from __future__ import annotations

from collections.abc import Sequence

from analytics import charts
from analytics.report import HtmlReport, fmt, label

__all__ = ["conversations_page"]


def conversations_page(summary: dict, title: str, created_at: str) -> str:
    """The conversations (bot performance) report."""
    report = HtmlReport(title, created_at)
    overall = summary["overall"]
    report.section(
        label("overview"),
        HtmlReport.cards(
            [
                (label("conversations"), fmt(overall["conversations"])),
                (label("user_messages"), fmt(overall["user_messages"])),
                (label("containment"), fmt(overall["containment_rate"], True)),
                (label("handoff_rate"), fmt(overall["handoff_rate"], True)),
                (label("fallback_rate"), fmt(overall["fallback_rate"], True)),
                (label("form_fallback_messages"), fmt(overall["form_fallback_messages"])),
                (label("unanswered_messages"), fmt(overall["unanswered_messages"])),
                (label("csat_average"), fmt(summary["csat"]["average"])),
            ]
        ),
    )
    by_lang = summary["by_language"]
    if by_lang:
        report.section(
            label("per_language"),
            HtmlReport.table(
                [
                    label("language"),
                    label("conversations"),
                    label("user_messages"),
                    label("containment"),
                    label("handoff_rate"),
                    label("fallback_rate"),
                    label("csat_average"),
                ],
                [
                    [
                        lang,
                        m["conversations"],
                        m["user_messages"],
                        fmt(m["containment_rate"], True),
                        fmt(m["handoff_rate"], True),
                        fmt(m["fallback_rate"], True),
                        fmt(summary["csat"]["by_language"].get(lang, {}).get("average")),
                    ]
                    for lang, m in by_lang.items()
                ],
                numeric=(1, 2, 3, 4, 5, 6),
            ),
        )
    days = summary["per_day"]
    if days:
        report.section(
            label("conversations_per_day"),
            _daily(
                days,
                {label("conversations"): [d["conversations"] for d in days]},
                label("conversations_per_day"),
            ),
            _daily(
                days,
                {
                    label("containment"): [d["containment_rate"] or 0 for d in days],
                    label("fallback_rate"): [d["fallback_rate"] or 0 for d in days],
                },
                f"{label('containment')} / {label('fallback_rate')}",
                percent=True,
            ),
        )
    csat = summary["csat"]
    if csat["responses"]:
        dist = csat["distribution"]
        report.section(
            label("csat"),
            _bars([f"{k} ★" for k in dist], list(dist.values()), label("csat_distribution")),
            note=f"{label('responses')}: {fmt(csat['responses'])}",
        )
    _handoff_section(report, summary.get("handoff") or {})
    mix = summary["intent_mix"]
    if mix:
        report.section(
            label("intent_mix"),
            _bars(
                [m["intent"] for m in mix[:20]], [m["count"] for m in mix[:20]], label("intent_mix")
            ),
        )
    trend = summary["sentiment_trend"]
    if trend:
        report.section(
            label("sentiment_trend"),
            _daily(
                trend,
                {label("negative_share"): [t["negative_share"] for t in trend]},
                label("sentiment_trend"),
                percent=True,
            ),
        )
    for key in ("not_understood", "form_fallbacks", "unanswered"):
        _messages_section(report, key, summary.get(key) or {})
    return report.render(created_at)


def _daily(
    rows: list[dict], series: dict[str, Sequence[float]], title: str, percent: bool = False
) -> str:
    """A line chart of one or more series over the rows' days."""
    return HtmlReport.chart(
        charts.line_chart([r["day"] for r in rows], series, title=title, percent=percent)
    )


def _bars(names: list[str], counts: list, title: str) -> str:
    """A bar chart of counts by name."""
    return HtmlReport.chart(charts.bar_chart(names, counts, title=title))


def _messages_section(report: HtmlReport, key: str, by_language: dict) -> None:
    """Top messages per language of one kind (not understood, form fallbacks, no reply)."""
    blocks = []
    for lang, items in by_language.items():
        blocks.append(HtmlReport.heading(f"{label('language')}: {lang}"))
        blocks.append(
            HtmlReport.table(
                [label("message"), label("times")],
                [[m["text"], m["count"]] for m in items],
                numeric=(1,),
            )
        )
    if not blocks:
        blocks.append(HtmlReport.paragraph(label("none_found")))
    report.section(label(key), *blocks, note=label(f"{key}_note"))


def _handoff_section(report: HtmlReport, handoff: dict) -> None:
    """Hand-offs: reasons, queue and reply times, CSAT bot-only vs agents, intents."""
    if not handoff.get("tickets"):
        return
    times = [
        (label("time_in_queue"), handoff["time_in_queue"]),
        (label("time_to_first_human_reply"), handoff["time_to_first_human_reply"]),
        (label("resolution_time"), handoff["resolution_time"]),
    ]
    csat = handoff["csat"]
    rows = [[label("bot_only"), csat["bot_only"]["responses"], fmt(csat["bot_only"]["average"])]]
    rows.append(
        [
            label("agent_handled"),
            csat["agent_handled"]["responses"],
            fmt(csat["agent_handled"]["average"]),
        ]
    )
    rows += [[name, c["responses"], fmt(c["average"])] for name, c in csat["per_agent"].items()]
    report.section(
        label("handoffs"),
        HtmlReport.table(
            [label("reason"), label("tickets"), label("share")],
            [[r, v["tickets"], fmt(v["share"], True)] for r, v in handoff["by_reason"].items()],
            numeric=(1, 2),
        ),
        HtmlReport.table(
            ["", "n", label("median_s"), label("p90_s")],
            [[name, t["n"], fmt(t["median_s"]), fmt(t["p90_s"])] for name, t in times],
            numeric=(1, 2, 3),
        ),
        HtmlReport.table(
            [label("csat"), label("responses"), label("csat_average")], rows, numeric=(1, 2)
        ),
        HtmlReport.table(
            [label("intent"), label("conversations")],
            [[i["intent"], i["conversations"]] for i in handoff["intents_most_handed_off"]],
            numeric=(1,),
        ),
    )
