"""The monthly summary of follow-up findings (§2-三-5): the page's first-N-per-group query agrees with the
full listing of the xlsx, in counts and in order."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.findings import monthly_findings
from reports.kpis import Scope
from reports.periods import Month
from surveys.models import FollowUpCall
from tests.reports.factories import local, survey
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db
OCTOBER = Month(2026, 10)


def summary(findings):
    return [
        (group.key, group.count, [(item.ticket, item.level, item.text) for item in group.items])
        for group in (findings.praised, *findings.problems)
    ]


def test_the_first_n_of_each_group_and_exact_counts(october, branch_a):
    for day in range(1, 10):
        ticket = TicketFactory(branch=branch_a, assigned=True, state="closed", number=f"SH-LATE-{day}")
        levels = (4, 2 if day % 2 else 4, 1, 4) if day < 8 else (4, 4, 4, 4)
        survey(ticket, levels, answered_at=local(2026, 10, day, 8), comment=f"第{day}单")
        FollowUpCall.objects.create(
            ticket=ticket,
            branch=branch_a,
            offset=7,
            due_on=local(2026, 10, day).date(),
            outcome="reached",
            problem_found=day % 3 == 0,
            notes=f"回访{day}",
            done_at=local(2026, 10, day, 9),
        )
    full = monthly_findings(Scope(OCTOBER))
    with CaptureQueriesContext(connection) as queries:
        first = monthly_findings(Scope(OCTOBER), limit=3)
    assert len(queries) == 11
    expected = [(key, count, items[:3]) for key, count, items in summary(full)]
    assert summary(first) == expected
    punctuality = next(group for group in first.problems if group.key == "punctuality")
    assert punctuality.count == 8 and punctuality.truncated  # 7 new ones and t3
    assert [item.ticket for item in punctuality.items] == ["SH-LATE-1", "SH-LATE-2", "SH-LATE-3"]
