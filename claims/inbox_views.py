"""The managers' approvals inbox (DESIGN §1, §7): everything waiting for this user's decision, oldest
first, with counts per kind: compensation claims at their level, return-to-factory requests (§3 第十条)
and part requisitions (parts.approvals). A claim is decided right here; the other two open their page,
where approving writes the paperwork they need (goods register, stock)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from claims.selectors import approvals_waiting

INBOX_SIZE = 20  # oldest first, per kind; the counts say how many in all and link to the full lists


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    sections = approvals_waiting(user)
    counts = {name: rows.count() for name, rows in sections.items()}
    # An empty section reads no rows: its query (the claims' joins six tables) costs more to plan than the
    # count that found nothing.
    rows = {name: list(rows[:INBOX_SIZE]) if counts[name] else [] for name, rows in sections.items()}
    return render(
        request,
        "claims/approvals.html",
        {"counts": counts, "total": sum(counts.values()), "rows": rows, "inbox_size": INBOX_SIZE},
    )
