"""The one place that fetches a ticket for a user: 404 for anyone outside its scope."""

from __future__ import annotations

from django.http import Http404

from tickets.models import RepairTicket, RepairTicketQuerySet


def access_ticket(user, pk: int, *, queryset: RepairTicketQuerySet | None = None) -> RepairTicket:
    base = queryset if queryset is not None else RepairTicket.objects.all()
    try:
        return base.visible_to(user).get(pk=pk)
    except RepairTicket.DoesNotExist as exc:
        raise Http404("No such ticket") from exc
