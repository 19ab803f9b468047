"""Two default SLA policies the seed's table left out (DESIGN §5): an urgent call changed no deadline,
and an appliance in 远郊/外地 had no arrival deadline at all. The seed is silent on both; these are what a
service department promises: call an urgent customer back within 2 hours, reach a remote one within
two working days."""

from decimal import Decimal

from django.db import migrations

# name, seed reference, order, conditions, {milestone: (hours, basis)} (as in 0006)
ADDED_POLICIES = [
    ("紧急报修:2小时内联系客户", "", 5, {"priority": "urgent"}, {"contact": ("2", "clock")}),
    ("家电·远郊/外地:报修后2个工作日(16个工作小时)内到达", "", 55,
     {"fault_category": "appliance", "service_zone": "remote"}, {"arrival": ("16", "working")}),
]


def add_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    for name, reference, order, conditions, targets in ADDED_POLICIES:
        if SlaPolicy.objects.filter(name=name).exists():
            continue
        fields = {}
        for milestone, (hours, basis) in targets.items():
            fields[f"{milestone}_hours"] = Decimal(hours)
            fields[f"{milestone}_basis"] = basis
        SlaPolicy.objects.create(name=name, seed_reference=reference, order=order, **conditions, **fields)


def remove_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    SlaPolicy.objects.filter(name__in=[name for name, *_rest in ADDED_POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_quantity_bounds")]

    operations = [migrations.RunPython(add_policies, remove_policies)]
