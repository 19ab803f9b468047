"""Form fields shared by the apps."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator


class FetchedChoiceIterator(ModelChoiceIterator):
    """The options from one plain query. Django's iterator reads them through `QuerySet.iterator()`,
    on PostgreSQL a server-side cursor (DECLARE … WITH HOLD, materialised at the end of the autocommit
    transaction): for a list of a few dozen rows that costs several times the rows themselves (issue #19,
    the ticket list's two technician selects)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    """Django's ModelChoiceField whose options come from one plain query (FetchedChoiceIterator): for the
    short lists of a page (technicians, branches), not for thousands of rows."""

    iterator = FetchedChoiceIterator
