"""The message code of a history note the system wrote (aftersales.texts), filled for the rows stored
before it where the stored Chinese note is one of the system's notes of this date (matched by action,
so a person's note is never taken for one); other rows keep showing their note as written."""

import re

from django.db import migrations, models

# action → the notes the system wrote for it, as of this migration.
NOTES = {
    "depart": ["预计 %(eta)s 到达。"],
    "sign_report": ["客户 %(name)s 签字确认服务报告。"],
    "goods_in": ["商品入库登记 %(entry)s,领取收据 %(receipt)s。"],
    "notify_pickup": ["已修复,通知客户凭领取收据 %(receipt)s 取件。", "第 %(notice)d 次通知客户取件"],
    "goods_out": ["%(name)s 签字领取,收据 %(receipt)s 作废。"],
    "hand_over": ["寄回客户,运单号 %(number)s"],
    "dispatch": ["移交(%(number)s):%(old)s → %(new)s"],
}
PAUSE_REASONS = ["等待配件", "等待客户"]
PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(msgid):
    parts, end = [], 0
    for match in PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[end : match.start()]))
        parts.append(f"(?P<{match[1]}>\\d+)" if match[2] == "d" else f"(?P<{match[1]}>.+?)")
        end = match.end()
    parts.append(re.escape(msgid[end:]))
    return re.compile("^" + "".join(parts) + "$", re.S)


def _message(action, note, patterns):
    if action == "pause_clock":
        for label in PAUSE_REASONS:
            if note == label:
                return {"id": label, "params": {}}
            if note.startswith(label + " "):
                reason = {"id": label, "params": {}}
                return {
                    "id": "%(reason)s %(note)s",
                    "params": {"reason": reason, "note": note[len(label) + 1 :]},
                }
        return {}
    for msgid, pattern in patterns.get(action, []):
        match = pattern.match(note)
        if match:
            params = {
                name: int(value) if f"%({name})d" in msgid else value
                for name, value in match.groupdict().items()
            }
            return {"id": msgid, "params": params}
    return {}


def fill_codes(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    patterns = {action: [(msgid, _pattern(msgid)) for msgid in msgids] for action, msgids in NOTES.items()}
    rows = TicketEvent.objects.filter(action__in=[*NOTES, "pause_clock"]).exclude(note="")
    changed = []
    for event in rows.only("pk", "action", "note").iterator(chunk_size=2000):
        event.note_message = _message(event.action, event.note, patterns)
        if event.note_message:
            changed.append(event)
        if len(changed) >= 2000:
            TicketEvent.objects.bulk_update(changed, ["note_message"])
            changed = []
    TicketEvent.objects.bulk_update(changed, ["note_message"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_departed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketevent",
            name="note_message",
            field=models.JSONField(blank=True, default=dict, verbose_name="说明(消息代码)"),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
    ]
