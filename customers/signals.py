"""Signals the apps above listen to, so that customers/ imports none of them."""

from django.dispatch import Signal

# Sent by `customers.services.save_customer` inside its transaction when a customer's service zone or
# distance changed, with `customer`: the open tickets' deadlines depend on them (§7-十九, §1-3.2.2).
location_changed = Signal()

# Sent by `customers.services.edit_customer` inside its transaction when a customer's name or phone
# numbers changed, with `customer`: the ticket list finds tickets by them (tickets.search).
search_fields_changed = Signal()
