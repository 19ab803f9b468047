"""Signals the apps above listen to, so that accounts/ imports none of them."""

from django.dispatch import Signal

# Sent before a user account is deactivated, with `user`. A receiver returns a sentence saying why the
# account may not be deactivated yet (open tickets, van stock…), or None.
deactivation_requested = Signal()


def deactivation_refusals(user) -> list[str]:
    return [
        str(refusal)
        for _receiver, refusal in deactivation_requested.send(sender=type(user), user=user)
        if refusal
    ]
