"""The time limits of the seed (DESIGN §5) as the default SLA policies; admins edit them afterwards."""

from decimal import Decimal

from django.db import migrations

# name, seed reference, order, conditions, {milestone: (hours, basis)}
DEFAULT_POLICIES = [
    ("车身故障·100公里以内:24小时内到达", "§1-3.2.2", 10,
     {"fault_category": "body", "max_distance_km": Decimal("100")}, {"arrival": ("24", "clock")}),
    ("车身故障·100公里以外或需供应商:12小时内答复", "§1-3.2.2", 20,
     {"fault_category": "body", "min_distance_km": Decimal("100")}, {"contact": ("12", "clock")}),
    ("底盘/发动机故障:12小时内书面联系", "§1-3.2.3", 30,
     {"fault_category": "chassis_engine"}, {"contact": ("12", "clock")}),
    ("家电·市区:报修后6个工作小时内到达", "§7-十九", 40,
     {"fault_category": "appliance", "service_zone": "city"}, {"arrival": ("6", "working")}),
    ("家电·郊区:报修后7个工作小时内到达", "§7-十九", 50,
     {"fault_category": "appliance", "service_zone": "suburb"}, {"arrival": ("7", "working")}),
    ("送修:1周内修复", "§5 第十六条", 60, {"channel": "walk_in"}, {"resolution": ("168", "clock")}),
    ("默认:7天内修复验收", "", 900, {}, {"resolution": ("168", "clock")}),
]


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    if SlaPolicy.objects.exists():
        return
    for name, reference, order, conditions, targets in DEFAULT_POLICIES:
        fields = {}
        for milestone, (hours, basis) in targets.items():
            fields[f"{milestone}_hours"] = Decimal(hours)
            fields[f"{milestone}_basis"] = basis
        SlaPolicy.objects.create(name=name, seed_reference=reference, order=order, **conditions, **fields)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_sla_deadlines")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
