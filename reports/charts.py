"""Server-side SVG charts (no JavaScript, no CDN): the same markup on the page and in WeasyPrint's PDF.

Pure functions of plain values. A bar whose value misses the target is drawn red, and the target is a
dashed line with its value, so a reader sees at once which branch, technician or month is below it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.metrics import Target
from tickets.models import ServiceCategory

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
OK_COLOUR = "#198754"
BAD_COLOUR = "#dc3545"
PLAIN_COLOUR = "#0d6efd"
TARGET_COLOUR = "#b02a37"


def _number(value: Decimal | int | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.1f}" if isinstance(value, Decimal) else f"{value:,}"
    return f"{text}{unit}"


BAR_LABEL_PX, BAR_FONT_PX = 150, 12  # the bar chart's label column and its font
# In half-width columns: a Chinese character is as wide as the font (12 px), a Latin letter about half; the
# label ends 6 px before its bar, so 144 px hold twelve Chinese characters or about twenty-four letters.
LABEL_WIDTH = (BAR_LABEL_PX - 6) * 2 // BAR_FONT_PX


def fit_label(label: str, width: int = LABEL_WIDTH) -> str:
    """The label within `width` half-width columns, a wide (Chinese) character counting two, cut with …
    when longer: twelve characters of a Chinese name, twenty-four of an English one."""
    widths = [_columns(char) for char in label]
    if sum(widths) <= width:
        return label
    kept = used = 0
    for columns in widths:
        if used + columns > width - 1:  # room for the …
            break
        used += columns
        kept += 1
    return label[:kept] + "…"


def _label_text(label: str) -> str:
    """A bar's label as SVG text; a label cut short carries its whole name as a tooltip (<title>)."""
    fitted = fit_label(label)
    if fitted == label:
        return escape(label)
    return f"<title>{escape(label)}</title>{escape(fitted)}"


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _colour(value, target: Target | None) -> str:
    if target is None:
        return PLAIN_COLOUR
    return BAD_COLOUR if target.meets(value) is False else OK_COLOUR


def _scale(values: Sequence, target: Target | None, unit: str) -> Decimal:
    top = max([Decimal(v) for v in values if v is not None] + [Decimal(0)])
    if target is not None:
        top = max(top, target.threshold * Decimal("1.2"))
    if unit == "%":
        top = max(top, Decimal(100)) if top > 50 else top
    return top or Decimal(1)


def bar_chart(
    bars: Sequence[tuple[str, Decimal | int | None]],
    *,
    title: str,
    target: Target | None = None,
    unit: str = "",
    width: int = 640,
) -> SafeString:
    """Horizontal bars, one per labelled value (branches, technicians, models, categories)."""
    row, label_width, top_margin = 24, BAR_LABEL_PX, 28
    plot = width - label_width - 70
    height = top_margin + row * max(len(bars), 1) + 16
    top = _scale([value for _label, value in bars], target, unit)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="kpi-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="{BAR_FONT_PX}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(bars):
        y = top_margin + index * row
        length = 0 if value is None else float(Decimal(value) / top) * plot
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{_label_text(str(label))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{_colour(value, target)}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 15}">{escape(_number(value, unit))}</text>'
        )
    if not bars:
        parts.append(f'<text x="{label_width}" y="{top_margin + 15}" fill="#6c757d">—</text>')
    if target is not None:
        x = label_width + float(target.threshold / top) * plot
        parts.append(
            f'<line x1="{x:.1f}" y1="{top_margin - 4}" x2="{x:.1f}" y2="{height - 12}" stroke="{TARGET_COLOUR}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{height - 2}" text-anchor="middle" fill="{TARGET_COLOUR}" font-size="11">'
            f"{escape(target.text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def column_chart(
    columns: Sequence[tuple[str, Decimal | int | None]],
    *,
    title: str,
    target: Target | None = None,
    unit: str = "",
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Vertical bars over time (one per month), with the target line across."""
    left, bottom, top_margin = 10, 34, 28
    plot_height = height - bottom - top_margin
    slot = (width - left * 2) / max(len(columns), 1)
    top = _scale([value for _label, value in columns], target, unit)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="kpi-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" stroke="#adb5bd"/>',
    ]
    for index, (label, value) in enumerate(columns):
        x = left + index * slot
        bar_height = 0 if value is None else float(Decimal(value) / top) * plot_height
        y = height - bottom - bar_height
        centre = x + slot / 2
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_height:.1f}" '
            f'fill="{_colour(value, target)}"/>'
            f'<text x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle">{escape(_number(value, unit))}</text>'
            f'<text x="{centre:.1f}" y="{height - bottom + 14}" text-anchor="middle">{escape(str(label))}</text>'
        )
    if target is not None:
        y = height - bottom - float(target.threshold / top) * plot_height
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - left}" y2="{y:.1f}" stroke="{TARGET_COLOUR}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{width - left}" y="{height - 4}" text-anchor="end" fill="{TARGET_COLOUR}">'
            f"{escape(target.label)} {escape(target.text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def dashboard_charts(board) -> dict[str, SafeString]:
    """Every chart of the dashboard and of the monthly PDF, from a `reports.kpis.Dashboard`."""
    targets, summary = board.targets, board.summary
    branches, technicians, months = board.tables["branch"], board.tables["technician"], board.months

    def per(rows, key, title, target=None, unit="%"):
        return bar_chart(
            [(row.name, getattr(row, key)) for row in rows], title=title, target=target, unit=unit
        )

    def over_time(key, title, target=None, unit="%"):
        return column_chart(
            [(row.name, getattr(row, key)) for row in months], title=title, target=target, unit=unit
        )

    return {
        "timeliness_by_branch": per(branches, "timeliness", _("及时率(按网点)"), targets["timeliness"]),
        "satisfaction_by_branch": per(branches, "satisfaction", _("满意率(按网点)"), targets["satisfaction"]),
        "complaints_by_branch": per(
            branches, "complaint_rate", _("服务责任投诉率(按网点)"), targets["complaint_rate"]
        ),
        "timeliness_by_technician": per(
            technicians, "timeliness", _("及时率(按技术员)"), targets["timeliness"]
        ),
        "satisfaction_by_technician": per(
            technicians, "satisfaction", _("满意率(按技术员)"), targets["satisfaction"]
        ),
        "volume_by_category": bar_chart(
            [(label, summary.volume[value]) for value, label in ServiceCategory.choices],
            title=_("报修量(按服务类别)"),
        ),
        "warranty_by_branch": per(branches, "warranty_cost", _("保修成本(元,按网点)"), unit=""),
        "trend_timeliness": over_time("timeliness", _("及时率(近12个月)"), targets["timeliness"]),
        "trend_satisfaction": over_time("satisfaction", _("满意率(近12个月)"), targets["satisfaction"]),
        "trend_complaints": over_time(
            "complaint_rate", _("服务责任投诉率(近12个月)"), targets["complaint_rate"]
        ),
        "trend_volume": over_time("reported", _("报修量(近12个月)"), unit=""),
    }


def pareto_chart(
    columns: Sequence[tuple[str, int]], *, title: str, width: int = 640, height: int = 240, limit: int = 10
) -> SafeString:
    """Pareto: the largest `limit` causes as columns, most first, with the cumulative share of the whole
    (every cause, not only those drawn) as a line on a 0-100 % scale; the 80 % line dashed."""
    ordered = sorted(((str(label), int(value)) for label, value in columns), key=lambda item: -item[1])
    whole = sum(value for _label, value in ordered) or 1
    shown = ordered[:limit]
    left, right, bottom, top_margin = 10, 40, 34, 28
    plot_height = height - bottom - top_margin
    slot = (width - left - right) / max(len(shown), 1)
    top = max([value for _label, value in shown] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="kpi-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#adb5bd"/>',
    ]
    eighty = height - bottom - 0.8 * plot_height
    parts.append(
        f'<line x1="{left}" y1="{eighty:.1f}" x2="{width - right}" y2="{eighty:.1f}" stroke="{TARGET_COLOUR}" '
        f'stroke-width="1" stroke-dasharray="4 3"/>'
        f'<text x="{width - right + 4}" y="{eighty + 4:.1f}" fill="{TARGET_COLOUR}">80%</text>'
    )
    points, running = [], 0
    for index, (label, value) in enumerate(shown):
        x = left + index * slot
        bar_height = value / top * plot_height
        y = height - bottom - bar_height
        centre = x + slot / 2
        running += value
        share = running / whole
        points.append(f"{centre:.1f},{height - bottom - share * plot_height:.1f}")
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_height:.1f}" '
            f'fill="{PLAIN_COLOUR}"/>'
            f'<text x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value:,}</text>'
            f'<text x="{centre:.1f}" y="{height - bottom + 14}" text-anchor="middle">{escape(label[:8])}</text>'
        )
    if shown:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{BAD_COLOUR}" stroke-width="2"/>'
            f'<text x="{width - right + 4}" y="{points[-1].split(",")[1]}" fill="{BAD_COLOUR}">'
            f"{running * 100 // whole}%</text>"
        )
    else:
        parts.append(f'<text x="{left}" y="{top_margin + 15}" fill="#6c757d">—</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def quality_charts(report) -> dict[str, SafeString]:
    """The quality page's charts, from a `reports.quality.QualityReport`."""
    months = report.months

    def over_time(key, title, unit="%"):
        return column_chart([(row.name, getattr(row, key)) for row in months], title=title, unit=unit)

    return {
        "pareto_fault_codes": pareto_chart(
            [(row.name.split(" ")[0], row.failures) for row in report.by_fault_code],
            title=_("故障代码帕累托图(质量故障数)"),
        ),
        "pareto_models": pareto_chart(
            [(row.name, row.failures) for row in report.by_model], title=_("产品型号帕累托图(质量故障数)")
        ),
        "pareto_parts": pareto_chart(
            [(f"{row.code}", row.quantity) for row in report.by_part], title=_("配件帕累托图(更换数量)")
        ),
        "trend_failures": over_time("failures", _("质量故障数(近12个月)"), unit=""),
        "trend_first_time_fix": over_time("first_time_fix_rate", _("一次修复率(近12个月)")),
        "trend_repeat_30": over_time("repeat_rate_30", _("30天返修率(近12个月)")),
        "trend_mttr": over_time("mean_time_to_repair", _("平均修复时间(工作小时,近12个月)"), unit=""),
    }
