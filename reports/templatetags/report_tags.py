import html

from django import template
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from customers.phones import format_phone
from tickets.templatetags.ticket_tags import yuan

register = template.Library()


@register.filter
def phone(normal: str | None) -> str:
    """A stored phone number as people read it (138 0013 8000, 021-61234567); — when there is none."""
    return format_phone(normal) if normal else "—"


_BELOW_TARGET = " below-target text-danger fw-bold"
_KPI_ROW = (
    '\n  <tr>\n    <td>{name}</td>{volumes}<td class="text-end">{reported}</td>\n'
    '    <td class="text-end{timeliness_mark}">{timeliness} <span class="text-muted small">'
    "({arrivals_in_time}/{arrivals})</span></td>\n"
    '    <td class="text-end{satisfaction_mark}">{satisfaction} <span class="text-muted small">'
    "({surveys})</span></td>\n"
    '    <td class="text-end" data-testid="attended">{attended}</td>\n'
    '    <td class="text-end{complaint_rate_mark}">{complaint_rate} <span class="text-muted small">'
    "({complaints}/{finished})</span></td>\n"
    '    <td class="text-end">{warranty_cost}</td>\n  </tr>\n  '
)


@register.simple_tag
def kpi_table_rows(table: dict) -> SafeString:
    """The rows of a KPI table (reports.kpis.Dashboard.marked_tables), written in Python: a table has
    some forty cells a row and up to a few hundred rows (issue #19). Numbers as Django's templates
    localise them (the active language's separators, read once); the same markup as the template loop it
    replaces (tests/reports/test_report_tags.py)."""
    number = _number_format()
    by_technician = table["dimension"].key == "technician"

    def rate(value) -> str:
        return "—" if value is None else f"{number(value)}%"

    def mark(marks: dict, key: str) -> str:
        return _BELOW_TARGET if marks.get(key) is False else ""

    rows = []
    for row, marks in table["rows"]:
        if by_technician:
            attended = number(row.attended)
            if row.helped:
                helped = _("(含协助 %(n)s)") % {"n": number(row.helped)}
                attended += f' <span class="text-muted small">{helped}</span>'
        else:
            attended = number(row.finished)
        rows.append(
            _KPI_ROW.format(
                name=html.escape(str(row.name)),
                volumes="".join(f'<td class="text-end">{number(count)}</td>' for count in row.volumes),
                reported=number(row.reported),
                timeliness_mark=mark(marks, "timeliness"),
                timeliness=rate(row.timeliness),
                arrivals_in_time=number(row.arrivals_in_time),
                arrivals=number(row.arrivals),
                satisfaction_mark=mark(marks, "satisfaction"),
                satisfaction=rate(row.satisfaction),
                surveys=number(row.surveys),
                attended=attended,
                complaint_rate_mark=mark(marks, "complaint_rate"),
                complaint_rate=rate(row.complaint_rate),
                complaints=number(row.complaints),
                finished=number(row.finished),
                warranty_cost=html.escape(yuan(row.warranty_cost)),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - names and money escaped, the rest numbers and our labels


def _number_format():
    """Django's localize for numbers (django.utils.formats.number_format) with the active language's
    separators looked up once, not once a cell."""
    separators = {
        "decimal_sep": get_format("DECIMAL_SEPARATOR"),
        "grouping": get_format("NUMBER_GROUPING"),
        "thousand_sep": get_format("THOUSAND_SEPARATOR"),
    }
    return lambda value: numberformat.format(value, **separators, use_l10n=True)
