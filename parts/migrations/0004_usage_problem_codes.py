"""The message code of why a part usage waits for the warehouse (aftersales.texts), filled for the rows
stored before it where the stored Chinese text is one of the system's problems of this date; a person's
note (a dismissal) matches none and keeps showing as written."""

import re

from django.db import migrations, models

PROBLEMS = [
    "配件编号 %(code)s 不在配件目录中。",
    "未填写配件编号。",
    "技术员 %(name)s 没有车载库。",
    "库存不足:配件 %(part)s 在 %(warehouse)s 仅剩 %(n)s 件。",
    "旧件不足:配件 %(part)s 在 %(warehouse)s 仅剩 %(n)s 件旧件。",
]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(msgid):
    parts, end = [], 0
    for match in PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[end : match.start()]))
        parts.append(f"(?P<{match[1]}>.+?)")
        end = match.end()
    parts.append(re.escape(msgid[end:]))
    return re.compile("^" + "".join(parts) + "$", re.S)


def fill_codes(apps, schema_editor):
    PartUsage = apps.get_model("parts", "PartUsage")
    patterns = [(msgid, _pattern(msgid)) for msgid in PROBLEMS]
    changed = []
    for usage in PartUsage.objects.exclude(problem="").exclude(status="dismissed").only("pk", "problem"):
        for msgid, pattern in patterns:
            match = pattern.match(usage.problem)
            if match:
                usage.problem_message = {"id": msgid, "params": match.groupdict()}
                changed.append(usage)
                break
    PartUsage.objects.bulk_update(changed, ["problem_message"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("parts", "0003_quantity_bounds"),
    ]

    operations = [
        migrations.AddField(
            model_name="partusage",
            name="problem_message",
            field=models.JSONField(blank=True, default=dict, verbose_name="待处理原因(消息代码)"),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
    ]
