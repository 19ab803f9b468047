"""Signals other apps listen to, so that tickets/ does not import them."""

from django.dispatch import Signal

# Sent inside the transaction of `tickets.services.apply_transition`, after the history row is
# written, with `ticket`, `name` (the transition), `actor` and `at`. A receiver that raises rolls the
# transition back, so receivers only write rows in the same database.
ticket_transitioned = Signal()

# Sent while the technician's report page renders its parts step, with `user`, `report` (or None) and
# `part_form`. Each receiver returns a dict merged into the template context (the parts app offers
# the van's stock and flags lines the van cannot cover).
report_parts_step = Signal()
