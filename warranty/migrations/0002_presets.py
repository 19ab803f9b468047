"""The built-in policies of the seed (§3 manufacturer, §5 retail) and the national 三包 rules.

Values are written out here, not imported from warranty.rules, so that this migration means the
same thing forever; tests check that they match rules.PRESETS.
"""

from django.db import migrations

PRESETS = [
    {
        "slug": "manufacturer",
        "name": "厂家保修(§3 产品售后服务流程)",
        "description": "7 天内质量问题可退货;1 个月内可换同型号;12 个月免费保修;同一故障再次维修延保 2 个月;"
        "外观明显损伤只保修不包换;免费保修需提供购机日期和地点。",
        "refund_amount": 7, "refund_unit": "days",
        "replace_amount": 1, "replace_unit": "months",
        "free_repair_amount": 12, "free_repair_unit": "months",
        "repeat_extension_amount": 2, "repeat_extension_unit": "months",
        "exclusions": ["appearance_damage"],
        "purchase_proof_required": True,
    },
    {
        "slug": "retail",
        "name": "门店三包(§5 门店售后服务管理制度)",
        "description": "可二次销售的商品 7 天内无理由退货;质量问题 15 天内退货、30 天内换货、3 个月内免费维修,"
        "之后有偿维修;使用痕迹、定制、包装或配件不全、无保修卡、人为损坏、特价品和赠品不退不换。",
        "no_reason_return_amount": 7, "no_reason_return_unit": "days",
        "refund_amount": 15, "refund_unit": "days",
        "replace_amount": 30, "replace_unit": "days",
        "free_repair_amount": 3, "free_repair_unit": "months",
        "exclusions": ["accessories_missing", "custom_made", "gift", "no_warranty_card", "packaging_damaged",
                       "special_price", "use_marks"],
        # §5 第十一、十二条: use marks and custom-made block a return only without a quality fault.
        "exclusions_without_fault_only": ["custom_made", "use_marks"],
    },
    {
        "slug": "cn-national",
        "name": "国家三包(部分商品修理更换退货责任规定)",
        "description": "7 天内性能故障可退货;15 天内可换货;三包有效期内免费修理;修理两次仍不能正常使用的,"
        "消费者可选择换货或退货。",
        "refund_amount": 7, "refund_unit": "days",
        "replace_amount": 15, "replace_unit": "days",
        "free_repair_amount": 12, "free_repair_unit": "months",
        "exclusions": ["appearance_damage", "no_warranty_card"],
        "failed_repairs_for_choice": 2,
    },
]


def create_presets(apps, schema_editor):
    WarrantyPolicy = apps.get_model("warranty", "WarrantyPolicy")
    for preset in PRESETS:
        WarrantyPolicy.objects.update_or_create(slug=preset["slug"], defaults={**preset, "is_builtin": True})


def remove_presets(apps, schema_editor):
    apps.get_model("warranty", "WarrantyPolicy").objects.filter(slug__in=[p["slug"] for p in PRESETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("warranty", "0001_initial")]
    operations = [migrations.RunPython(create_presets, remove_presets)]
