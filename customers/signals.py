"""Signals the apps above listen to, so that customers/ imports none of them."""

from django.dispatch import Signal

# Sent by `customers.services.file_changed` inside the write's transaction when a customer's service zone or
# distance changed, with `customer`: the open tickets' deadlines depend on them (§7-十九, §1-3.2.2).
location_changed = Signal()

# Sent by `customers.services.file_changed` inside the write's transaction when a customer's name or phone
# numbers changed, with `customer`, or a unit's serial number, with `unit`: the ticket list finds tickets
# by them (tickets.search).
search_fields_changed = Signal()
