"""Fill RepairTicket.quoted_fee (tickets 0012) from each ticket's latest 收费告知."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill_quoted_fee(apps, schema_editor):
    FeeQuote = apps.get_model("claims", "FeeQuote")
    RepairTicket = apps.get_model("tickets", "RepairTicket")
    latest = FeeQuote.objects.filter(ticket=OuterRef("pk")).order_by("-told_at", "-pk").values("amount")[:1]
    RepairTicket.objects.filter(fee_quotes__isnull=False).update(quoted_fee=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_reassign_and_withdraw"),
        ("tickets", "0015_fee_reason"),
    ]

    operations = [migrations.RunPython(fill_quoted_fee, migrations.RunPython.noop)]
