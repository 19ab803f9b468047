"""Printable forms of the parts app (A4, through tickets.documents.render_pdf)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from parts.models import Handover, ReceivingNote, Requisition
from tickets.documents import render_pdf


def receiving_note_pdf(note: ReceivingNote) -> bytes:
    """§1-3.7.2: made out in two copies (一式二份), one page each: the warehouse's and finance's."""
    lines = list(note.lines.select_related("part"))
    return render_pdf(
        "parts/pdf/receiving_note.html",
        {
            "note": note,
            "lines": lines,
            "total": sum((line.amount for line in lines), 0),
            "copies": (1, 2),
            "received_at_local": timezone.localtime(note.received_at),
        },
    )


def requisition_pdf(requisition: Requisition) -> bytes:
    """备用件领料单 (§1-3.6.1): what was asked, approved, issued and returned, with the signatures."""
    return render_pdf(
        "parts/pdf/requisition.html",
        {
            "requisition": requisition,
            "lines": requisition.lines.select_related("part"),
            "created_at_local": timezone.localtime(requisition.created_at),
        },
    )


def monthly_old_parts_pdf(rows, month: datetime.date) -> bytes:
    return render_pdf(
        "parts/pdf/old_parts_monthly.html",
        {"rows": list(rows), "month": month, "printed_at": timezone.localtime()},
    )


def handover_pdf(handover: Handover) -> bytes:
    return render_pdf(
        "parts/pdf/handover.html",
        {
            "handover": handover,
            "items": handover.items.select_related("successor"),
            "printed_at": timezone.localtime(),
        },
    )
