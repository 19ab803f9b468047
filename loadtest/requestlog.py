"""A locustfile to load next to the workload (`-f loadtest/locustfile.py,loadtest/requestlog.py`): every
request as a JSON line in $LOADTEST_REQUESTS, with when it started, its status and, for a 5xx, whether
the body was the app's error page. `make faults` counts them per fault window from this file.
"""

from __future__ import annotations

import json
import os
import time

from locust import events

from loadtest.faults import page_kind

_path = os.environ.get("LOADTEST_REQUESTS")
_out = open(_path, "a", buffering=1, encoding="utf-8") if _path else None  # noqa: SIM115 (the process's life)


@events.request.add_listener
def record(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    if _out is None:
        return
    status = int(getattr(response, "status_code", 0) or 0)
    text = (getattr(response, "text", "") or "") if status >= 500 else ""
    started = kwargs.get("start_time") or time.time() - response_time / 1000
    _out.write(
        json.dumps(
            {
                "t": round(started, 3),
                "method": request_type,
                "name": name,
                "status": status,
                "ms": round(response_time or 0, 1),
                "error": type(exception).__name__ if exception else "",
                "page": page_kind(status, text),
            }
        )
        + "\n"
    )
