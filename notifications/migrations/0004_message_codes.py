"""Message codes beside the stored titles and bodies (aftersales.texts), filled for the rows stored before
them where the stored Chinese text matches one of the rule-made messages of this date; a row that
matches none keeps showing its record."""

import re

from django.db import migrations, models

# The rule-made titles and bodies as of this migration (their msgids; the code has them in gettext_noop).
MESSAGES = [
    "%(level)s:%(count)d 张工单(%(numbers)s 等)",
    "%(number)s 已通知 %(count)d 次仍未取件,请寄回客户",
    "%(number)s 返厂维修将超过承诺时间 %(promised)s,请协助",
    "今日回访:%(count)d 个电话待打",
    "即将超时:%(number)s %(milestone)s 截止 %(due)s",
    "已超时:%(number)s %(milestone)s 截止 %(due)s",
    "超时升级:%(number)s %(milestone)s 截止 %(due)s,仍未完成",
    "库存核对发现 %(n)s 处账实不符",
    "投诉 %(number)s 的处理方案将在 %(due)s 到期",
    "投诉 %(number)s 的处理方案已超过 72 小时期限",
    "新报修 %(number)s(%(priority)s,%(category)s):%(customer)s",
    "新派工 %(number)s:%(customer)s,%(address)s",
    "缺货已到:%(part)s,请通知客户 %(customer)s 取件",
    "缺货登记已一周未联系客户:%(customer)s(%(part)s)",
    "请通知客户取件:%(number)s(第 %(notice)d 次)",
    "赔偿申请 %(number)s 已批准(¥%(amount)s),请办理核销",
    "赔偿申请 %(number)s 已由申请人撤回,无需审批",
    "赔偿申请 %(number)s 已被驳回",
    "赔偿申请 %(number)s 待您审批(¥%(amount)s)",
    "赔偿申请 %(number)s 无人可审批(申请人本人和已审批的人除外),请指定审批人",
    "保养合同 %(number)s(%(customer)s)将于 %(end)s 到期,请安排续约回访",
    "重大投诉 %(number)s:%(name)s",
    "领料单 %(number)s 已批准",
    "领料单 %(number)s 待审批",
    "领料单 %(number)s 被驳回",
]
BODIES = [
    "工单 %(ticket)s,申请人 %(user)s:%(reason)s",
    "接收单 %(note)s 入库 %(warehouse)s。",
    "无论是否到货,都必须在一周内再次联系客户(第三十五条)。",
]
# Parameters that are labels of choices (priority, fault category, milestone, alert level): their stored
# Chinese text is their msgid.
LABELS = {"priority", "category", "milestone", "level"}
PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(msgid):
    parts, end = [], 0
    for match in PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[end : match.start()]))
        parts.append(f"(?P<{match[1]}>\\d+)" if match[2] == "d" else f"(?P<{match[1]}>.+?)")
        end = match.end()
    parts.append(re.escape(msgid[end:]))
    return re.compile("^" + "".join(parts) + "$", re.S)


def _message(text, patterns):
    for msgid, pattern in patterns:
        match = pattern.match(text)
        if match:
            params = {}
            for name, value in match.groupdict().items():
                if name in LABELS:
                    params[name] = {"id": value, "params": {}}
                elif name == "numbers":
                    params[name] = {"list": value.split("、")}
                elif f"%({name})d" in msgid:
                    params[name] = int(value)
                else:
                    params[name] = value
            return {"id": msgid, "params": params}
    return {}


def fill_codes(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    subjects = [(msgid, _pattern(msgid)) for msgid in MESSAGES]
    bodies = [(msgid, _pattern(msgid)) for msgid in BODIES]
    changed = []
    rows = Notification.objects.filter(recipient__isnull=False).only("pk", "subject", "body")
    for row in rows.iterator(chunk_size=2000):
        row.subject_message = _message(row.subject, subjects)
        row.body_message = _message(row.body, bodies) if row.body else {}
        if row.subject_message or row.body_message:
            changed.append(row)
        if len(changed) >= 2000:
            Notification.objects.bulk_update(changed, ["subject_message", "body_message"])
            changed = []
    Notification.objects.bulk_update(changed, ["subject_message", "body_message"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_work_items"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="body_message",
            field=models.JSONField(blank=True, default=dict, verbose_name="内容(消息代码)"),
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_message",
            field=models.JSONField(blank=True, default=dict, verbose_name="标题(消息代码)"),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
    ]
