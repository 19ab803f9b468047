"""SLA policies' 报修方式 and 优先级 become choices of the codes tickets store. They were free text: a
policy saved with “紧急” never matched an urgent call (tickets store `urgent`). A label saved before is
turned into its code; a value that is neither code nor label is not widened to blank (“any”, which would
apply the policy to every call): the field is cleared, the policy switched off and the value kept in its
name for the admin to decide."""

from django.db import migrations, models

CODES_BY_LABEL = {
    "channel": {"电话": "phone", "来信": "letter", "上门送修": "walk_in", "送修": "walk_in", "网上报修": "web"},
    "priority": {"普通": "normal", "紧急": "urgent"},
}


def codes_for_labels(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    for field, codes_by_label in CODES_BY_LABEL.items():
        known = set(codes_by_label.values())
        for policy in SlaPolicy.objects.exclude(**{field: ""}).exclude(**{f"{field}__in": known}):
            value = getattr(policy, field)
            stripped = value.strip()
            code = codes_by_label.get(stripped) or (stripped.lower() if stripped.lower() in known else None)
            if code is None:
                policy.is_active = False
                policy.name = f"{policy.name}(已停用:{value} 无法识别)"[:100]
            setattr(policy, field, code or "")
            policy.save(update_fields=[field, "is_active", "name"])


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0012_urgent_and_remote_sla_policies'),
    ]

    operations = [
        migrations.RunPython(codes_for_labels, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='slapolicy',
            name='channel',
            field=models.CharField(blank=True, choices=[('phone', '电话'), ('letter', '来信'), ('walk_in', '上门送修'), ('web', '网上报修')], max_length=10, verbose_name='报修方式'),
        ),
        migrations.AlterField(
            model_name='slapolicy',
            name='priority',
            field=models.CharField(blank=True, choices=[('normal', '普通'), ('urgent', '紧急')], max_length=10, verbose_name='优先级'),
        ),
    ]
