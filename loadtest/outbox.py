"""The soak's offline burst: what the technician's outbox (static/js/outbox.js) sends after a visit made
with no network, readable without locust or Django so that the tests can drive it through Django's client.

A visit queues, in order: 到达签到, the five report steps, two part lines, the customer's signature and
完成上门服务. Each action has its own idempotency key, made when it was queued, sent as the form field and
the `Idempotency-Key` header with `Accept: application/json`, as the outbox does. Back online they go in a
burst, oldest first; the first one the server does not accept stops the burst (the ones after it may
depend on it). Some are sent twice with the same key: the answer to the first was lost (the network went
away again), so the outbox sends it again and takes the second answer; the server must replay the first
one, not write again.

Every action carries a unique `soak:<hex>` marker into a column (the transition's note, a report step's
text, the part line's removed serial, the signer's name), so loadtest.checks finds each write in the
database and counts it, as it does for the other writes of the soak.

Versions follow the outbox's `chain`: the pages were kept before check-in, so the forms show the ticket's
version before it and no report version; each answer tells the versions it produced, and a later action
whose form showed a version this device produced is sent against the newest one.
"""

from __future__ import annotations

import base64
import io
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

# (status, JSON answer or None when the answer was not JSON / there was none)
Answer = tuple[int, dict | None]
Post = Callable[[str, dict, dict], Answer]


@dataclass
class Action:
    """One queued field action: `kind` and `marker` say where loadtest.checks looks for it."""

    label: str
    url: str
    fields: dict[str, str]
    kind: str
    marker: str
    scope: str = ""
    base: str = ""  # the version its page showed ("" for a report not started when the page was kept)
    record: dict = field(default_factory=dict)  # what the writes file says besides the outcome
    key: str = field(default_factory=lambda: str(uuid.uuid4()))


class Chain:
    """The versions this device's confirmed actions produced (outbox.js `remember` / `versionToSend`)."""

    def __init__(self) -> None:
        self.known: dict[str, dict] = {}

    def remember(self, action: Action, sent_version: str, written: dict) -> None:
        for scope, after in (written or {}).items():
            entry = self.known.setdefault(scope, {"seen": [], "latest": ""})
            ours = [str(int(after) - 1), str(after)]
            if action.scope == scope:
                ours += [action.base, sent_version]
            entry["seen"] += [version for version in ours if version not in entry["seen"]]
            entry["latest"] = str(after)

    def version_to_send(self, action: Action) -> str:
        entry = self.known.get(action.scope)
        if entry and action.base in entry["seen"]:
            return entry["latest"]
        return action.base


def marker() -> str:
    return f"soak:{uuid.uuid4().hex}"


def signature_data_url() -> str:
    """A customer's scribble as signature_pad gives it: a transparent PNG with dark strokes."""
    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(20, 100), (80, 30), (140, 110), (220, 40), (300, 120), (380, 50)], fill="black", width=5
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def field_visit(
    *, ticket_id: int, ticket_version: int, report_scope: str, paid: bool = False
) -> list[Action]:
    """What the outbox holds after a visit done offline, in the order it was queued (`paid`: a paid job,
    whose fee step needs the fee agreed with the customer and how it is paid)."""
    ticket = f"/tickets/{ticket_id}"
    ticket_scope = f"ticket:{ticket_id}"
    actions = []

    def add(label, url, fields, kind, *, scope, base="", mark_field=None, text="", **record):
        key = marker()
        if mark_field:
            fields = {**fields, mark_field: f"{text} {key}".strip()}
        actions.append(Action(label, url, fields, kind, key, scope, base, {"ticket": ticket_id, **record}))

    version = str(ticket_version)
    add(
        "check in",
        f"{ticket}/do/check_in/",
        {"version": version, "next": "my_jobs"},
        "transition",
        scope=ticket_scope,
        base=version,
        mark_field="note",
        action="check_in",
    )
    steps = [
        ({}, "customer_account", "压测离线:开机五分钟后停机"),
        ({"previously_disassembled": "false"}, "usage_reading", "约 1200 小时"),
        ({"cause": "电容老化"}, "findings", "室外机电容鼓包"),
        ({"labour_hours": "1.5"}, "work_done", "更换启动电容,试机正常"),
    ]
    for number, (fields, mark_field, text) in enumerate(steps, start=1):
        add(
            f"report step {number}",
            f"{ticket}/report/step/{number}/",
            {"version": "", **fields},
            "report_step",
            scope=report_scope,
            mark_field=mark_field,
            text=text,
        )
        if number == 4:
            for name in ("启动电容", "风扇电机"):
                add(
                    "report part line",
                    f"{ticket}/report/parts/",
                    {"part_name": name, "quantity": "1", "fitted_serial": "NEW-1"},
                    "report_part",
                    scope=report_scope,
                    mark_field="removed_serial",
                )
    # The fee step (its fields carry no text to mark): nothing to collect on a free repair.
    fee = {"fee": "80", "payment_method": "cash"} if paid else {"fee": "0", "payment_method": ""}
    add(
        "report step 5",
        f"{ticket}/report/step/5/",
        {"version": "", **fee},
        "report_fee",
        scope=report_scope,
    )
    add(
        "signature",
        f"{ticket}/report/sign/",
        {"version": "", "signature": signature_data_url()},
        "signature",
        scope=report_scope,
        mark_field="signer_name",
        text="张伟",
    )
    add(
        "complete visit",
        f"{ticket}/do/complete_visit/",
        {"version": version},
        "transition",
        scope=ticket_scope,
        base=version,
        mark_field="note",
        text="更换启动电容,试机正常",
        action="complete_visit",
    )
    return actions


def outcome_of(answer: Answer) -> tuple[str, str]:
    """`accepted` only for the JSON `ok` the outbox takes as sent; a JSON refusal is `refused`; anything
    else (a server error, no answer, a login page) is `error`: the outbox keeps it queued."""
    status, body = answer
    if body is None or status >= 500:
        return "error", f"HTTP {status}"
    return ("accepted" if body.get("ok") else "refused"), str(body.get("message", ""))


def send_burst(actions: list[Action], post: Post, *, resend: set[int], csrf: str = "") -> list[dict]:
    """Send the queued actions in order through `post(url, data, headers)`; the ones whose index is in
    `resend` are sent twice with the same key (the first answer lost). Returns one writes-file record
    per action sent (`kind`, `key`: its marker, `outcome`, `message`, …), stopping after the first one
    not accepted, as the outbox does."""
    chain = Chain()
    records = []
    for index, action in enumerate(actions):
        version = chain.version_to_send(action) if action.scope else action.base
        data = {
            **{
                name: (version if name == "version" and action.scope else value)
                for name, value in action.fields.items()
            },
            "idempotency_key": action.key,
            "csrfmiddlewaretoken": csrf,
        }
        headers = {
            "Accept": "application/json",
            "Idempotency-Key": action.key,
            "X-CSRFToken": csrf,
            "X-Outbox": "1",
        }
        answers = [post(action.url, data, headers)]
        if index in resend:
            answers.append(post(action.url, data, headers))
        outcome, message = outcome_of(answers[-1])
        record = {
            "kind": action.kind,
            "key": action.marker,
            "outcome": outcome,
            "message": message,
            "label": action.label,
            **action.record,
        }
        if action.kind == "transition":
            record["version"] = int(version)
        if len(answers) == 2:
            # Both answers arrived here (in the field the first was lost): a replay answers the same.
            record["resent"] = True
            record["same_answer"] = answers[0] == answers[1]
        records.append(record)
        if outcome != "accepted":
            break
        chain.remember(action, version, answers[-1][1].get("versions", {}))
    return records


def choose_resends(actions: list[Action], rng: random.Random, rate: float = 0.25) -> set[int]:
    return {index for index in range(len(actions)) if rng.random() < rate}
