"""The one place that fetches a call or a complaint for a user: 404 for anyone outside its scope."""

from __future__ import annotations

from django.http import Http404

from surveys.models import Complaint, FollowUpCall


def access_call(user, pk: int, *, queryset=None) -> FollowUpCall:
    base = queryset if queryset is not None else FollowUpCall.objects.all()
    try:
        return base.visible_to(user).get(pk=pk)
    except FollowUpCall.DoesNotExist as exc:
        raise Http404("No such call") from exc


def access_complaint(user, pk: int, *, queryset=None) -> Complaint:
    base = queryset if queryset is not None else Complaint.objects.all()
    try:
        return base.visible_to(user).get(pk=pk)
    except Complaint.DoesNotExist as exc:
        raise Http404("No such complaint") from exc
