"""The stock ledger is append-only in the database too (aftersales.append_only). Corrections are new
adjustment rows with a reason."""

from django.db import migrations

from aftersales.append_only import append_only_trigger


class Migration(migrations.Migration):
    dependencies = [("parts", "0001_initial")]

    operations = [append_only_trigger("parts_stockmovement")]
