"""The audit trail is append-only in the database too, as the stock ledger is (aftersales.append_only).
The admin role's view permission is granted here as well."""

from django.db import migrations

from accounts.roles import grant
from aftersales.append_only import append_only_trigger


def grant_role_permissions(apps, schema_editor=None):
    grant(apps, "audit", {"admin": ["view_auditentry"]})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles"), ("audit", "0001_audit_trail")]

    operations = [
        append_only_trigger("audit_auditentry"),
        migrations.RunPython(grant_role_permissions, migrations.RunPython.noop),
    ]
