"""Signals other apps listen to, so that tickets/ does not import them."""

from django.dispatch import Signal

# Sent inside the transaction of `tickets.services.apply_transition`, after the history row is
# written, with `ticket`, `name` (the transition), `actor` and `at`. A receiver that raises rolls the
# transition back, so receivers only write rows in the same database.
ticket_transitioned = Signal()
