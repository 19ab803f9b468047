"""When an accidental 验收 or 取消 may still be taken back (issue #16): by a supervisor, on the same
calendar day as it was done, in the branch's local time. Pure: aware datetimes and a zone in, a yes/no out.

After that day the acceptance has gone to the follow-up queue and the day's reports, and a cancelled call
is answered by a new call (or a reopen), never by rewriting the past.
"""

from __future__ import annotations

import datetime


def within_the_day(done_at: datetime.datetime | None, now: datetime.datetime, zone: datetime.tzinfo) -> bool:
    """True while `now` is on the local calendar day of `done_at` (and not before it)."""
    if done_at is None or now < done_at:
        return False
    return done_at.astimezone(zone).date() == now.astimezone(zone).date()
