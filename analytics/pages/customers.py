"""The HTML page of the customers report."""

from __future__ import annotations

from analytics import charts
from analytics.report import HtmlReport, fmt, label

__all__ = ["customers_page"]


def customers_page(summary: dict, title: str, created_at: str) -> str:
    """The customers (RFM, segments, propensity) report."""
    report = HtmlReport(title, f"{summary.get('source', '')} · {created_at}")
    rfm = summary["rfm"]
    report.section(
        label("overview"),
        HtmlReport.cards(
            [
                (label("customers"), fmt(rfm["customers"])),
                (label("orders"), fmt(rfm["orders"])),
                (label("revenue"), fmt(rfm["revenue"])),
                (label("reference_date"), rfm["reference_date"]),
            ]
        ),
    )
    segments = summary["segments"]["segments"]
    report.section(
        label("segments"),
        HtmlReport.grid(
            HtmlReport.chart(
                charts.bar_chart(
                    [f"{s['name_zh']} {s['name']}" for s in segments],
                    [s["customers"] for s in segments],
                    title=label("segment_sizes"),
                )
            ),
            HtmlReport.chart(
                charts.bar_chart(
                    [f"{s['name_zh']} {s['name']}" for s in segments],
                    [s["revenue_share"] for s in segments],
                    title=label("segment_revenue"),
                    percent=True,
                )
            ),
        ),
        HtmlReport.table(
            [
                label("segment"),
                label("customers"),
                label("recency_days"),
                label("frequency"),
                label("monetary"),
                label("revenue_share"),
                label("description"),
            ],
            [
                [
                    f"{s['name_zh']} · {s['name']}",
                    s["customers"],
                    fmt(s["recency_mean"]),
                    fmt(s["frequency_mean"]),
                    fmt(s["monetary_mean"]),
                    fmt(s["revenue_share"], True),
                    s["description"],
                ]
                for s in segments
            ],
            numeric=(1, 2, 3, 4, 5),
        ),
        note=label("segments_note"),
    )
    prop = summary.get("propensity")
    if prop and prop.get("metrics"):
        m, b = prop["metrics"], prop["baseline"]
        keys = ("accuracy", "precision", "recall", "f1", "roc_auc")
        report.section(
            label("propensity"),
            HtmlReport.table(
                [label("metric"), prop["model"], label("recency_baseline")],
                [[k, fmt(m[k]), fmt(b.get(k))] for k in keys],
                numeric=(1, 2),
            ),
            HtmlReport.paragraph(
                f"{label('train_cutoff')}: {prop['train_cutoff']} · {label('test_cutoff')}: "
                f"{prop['test_cutoff']} · {label('horizon_days')}: {prop['horizon_days']} · "
                f"{label('test_customers')}: {fmt(prop['test_customers'])} · "
                f"{label('base_rate')}: {fmt(prop['test_base_rate'], True)}"
            ),
        )
    elif prop:
        report.section(label("propensity"), HtmlReport.paragraph(prop.get("skipped", ""), "warn"))
    campaign = summary.get("campaign")
    if campaign:
        report.section(
            label("campaign"),
            HtmlReport.paragraph(
                f"{campaign['segment']}: {fmt(campaign['customers'])} → {campaign['file']}"
            ),
            HtmlReport.table(
                [label("customer"), label("language"), label("suggestions"), label("message")],
                [
                    [r["customer_id"], r["language"], r["products"], r["message"]]
                    for r in campaign["preview"]
                ],
            ),
        )
    return report.render(created_at)
