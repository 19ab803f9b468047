"""The compensation claims, their approvals, write-offs and fee records move to the claims app
(issue #13): their tables are renamed to the claims app's names and the models leave this app's state;
`claims.0001_initial` takes them into its state without touching the database."""

from django.db import migrations

MOVED = ["approvalrule", "approvallevel", "claim", "claimapproval", "claimattachment", "writeoff", "feequote",
         "feehandover"]


class Migration(migrations.Migration):

    dependencies = [
        ('warranty', '0005_claim_idempotency_key'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name=name, table=f"claims_{name}") for name in MOVED],
            state_operations=[
                migrations.RemoveField(
                    model_name='approvalrule',
                    name='branch',
                ),
                migrations.RemoveField(
                    model_name='claim',
                    name='branch',
                ),
                migrations.RemoveField(
                    model_name='claim',
                    name='submitted_by',
                ),
                migrations.RemoveField(
                    model_name='claim',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='claimapproval',
                    name='claim',
                ),
                migrations.RemoveField(
                    model_name='claimattachment',
                    name='claim',
                ),
                migrations.RemoveField(
                    model_name='writeoff',
                    name='claim',
                ),
                migrations.RemoveField(
                    model_name='claimapproval',
                    name='approver',
                ),
                migrations.RemoveField(
                    model_name='claimattachment',
                    name='uploaded_by',
                ),
                migrations.RemoveField(
                    model_name='feehandover',
                    name='branch',
                ),
                migrations.RemoveField(
                    model_name='feehandover',
                    name='invoiced_by',
                ),
                migrations.RemoveField(
                    model_name='feehandover',
                    name='received_by',
                ),
                migrations.RemoveField(
                    model_name='feehandover',
                    name='report',
                ),
                migrations.RemoveField(
                    model_name='feehandover',
                    name='technician',
                ),
                migrations.RemoveField(
                    model_name='feequote',
                    name='ticket',
                ),
                migrations.RemoveField(
                    model_name='feequote',
                    name='told_by',
                ),
                migrations.RemoveField(
                    model_name='writeoff',
                    name='booked_by',
                ),
                migrations.RemoveField(
                    model_name='writeoff',
                    name='branch',
                ),
                migrations.DeleteModel(
                    name='ApprovalLevel',
                ),
                migrations.DeleteModel(
                    name='ApprovalRule',
                ),
                migrations.DeleteModel(
                    name='Claim',
                ),
                migrations.DeleteModel(
                    name='ClaimApproval',
                ),
                migrations.DeleteModel(
                    name='ClaimAttachment',
                ),
                migrations.DeleteModel(
                    name='FeeHandover',
                ),
                migrations.DeleteModel(
                    name='FeeQuote',
                ),
                migrations.DeleteModel(
                    name='WriteOff',
                ),
    
            ],
        ),
    ]
