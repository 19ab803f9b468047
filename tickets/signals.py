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

# Sent inside the transaction of a step the customer is texted about (issue #17 item 5: 受理, 派工, 在途,
# completion, pickup), with `ticket`, `kind` (the notification's kind), `key` (once per ticket and event:
# a repeated step, a retried task or two workers text once) and `text` (a Text: sent as its Chinese
# record). The customer's channel (portal.services.on_customer_told) texts it with a single-use link into
# the ticket's page; the SMS leaves through the notifications outbox after the commit.
customer_told = Signal()


def tell_customer(ticket, *, kind: str, key: str, text) -> None:
    customer_told.send(sender=type(ticket), ticket=ticket, kind=kind, key=key, text=text)


# Sent after a call book's historical tickets were imported or their batch undone (tickets.callbook), with
# `months`: the (year, month) pairs whose reported or completed tickets changed. The reports app
# summarises those months again.
history_imported = Signal()
