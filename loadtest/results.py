"""What a load run leaves to judge, readable without Django: the writes file (LOADTEST_WRITES, one JSON line
per write attempt, see loadtest.locustfile) and the result of a check.

The soak and the fault runs use these before they set Django up; loadtest.checks, which reads the
database, uses them after."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def read_writes(path: pathlib.Path) -> list[dict]:
    path = pathlib.Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
