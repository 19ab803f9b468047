"""What our state machines (django-fsm-2) need beside the library."""

from __future__ import annotations

import functools

from django.db import models
from django_fsm import FSMFieldMixin


class ThreadSafeRefreshMixin:
    """First among a model's bases: refresh_from_db without lifting a protected state field's guard.

    The library's refresh_from_db sets `protected = False` on the field — shared by the whole class —
    and back to True afterwards, so a gunicorn worker's second thread could put the guard back in the
    middle of the first one's refresh: "Direct state modification is not allowed", a 500 (seen in
    make soak). The guard only refuses a value set over one already loaded, so the loaded value is
    forgotten first and the field re-read like any other.
    """

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        for field in self._meta.concrete_fields:
            if isinstance(field, FSMFieldMixin) and (fields is None or field.attname in fields):
                self.__dict__.pop(field.attname, None)
        models.Model.refresh_from_db(self, using=using, fields=fields, from_queryset=from_queryset)
        if hasattr(self, "_update_initial_state"):  # ConcurrentTransitionMixin: the state the row now has
            self._update_initial_state()


class StateFieldsOnce:
    """Before ConcurrentTransitionMixin among a model's bases: the state fields found once per model.

    The library looks for them among all the model's fields each time it builds an instance (to
    remember the states the row was loaded with), about 4 % of building the dispatch board's
    tickets (issue #19). The fields of a model do not change once the apps are loaded.
    """

    @property
    def state_fields(self):
        return _state_fields(self._meta)


@functools.cache
def _state_fields(meta) -> tuple:
    return tuple(field for field in meta.fields if isinstance(field, FSMFieldMixin))
