"""`manage.py bench_callbook`: import a generated call book of --rows rows (100,000 by default) on this
database and undo it again (loadtest.callbook); prints rows/s and peak memory."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Branch, User
from customers.models import FaultCategory, ImportBatch, ProductModel
from loadtest import callbook
from tickets import callbook as tickets_callbook
from warranty.models import WarrantyPolicy

MODEL_CODE = "BENCH-KFR35"


class Command(BaseCommand):
    help = "Time the call book import (dry run, import, undo) with a generated file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="leave the imported batch in place")

    def handle(self, *args, **options) -> None:
        policy = WarrantyPolicy.objects.filter(slug="manufacturer").first()
        if policy is None:
            raise CommandError("needs a migrated database (manage.py migrate)")
        if not Branch.objects.exists():
            Branch.objects.create(code="BK", name="基准测试网点", kind=Branch.Kind.BRANCH_COMPANY)
        ProductModel.objects.get_or_create(
            code=MODEL_CODE,
            defaults={"name": "基准测试空调", "category": FaultCategory.APPLIANCE, "warranty_policy": policy},
        )
        user, _created = User.objects.get_or_create(username="bench-callbook")
        for batch in ImportBatch.objects.filter(created_by=user, state=ImportBatch.State.DONE):
            tickets_callbook.start_undo(batch_id=batch.pk, user=user)  # a run with --keep before
            tickets_callbook.undo_batch(batch.pk)
        callbook.run(
            rows=options["rows"],
            user=user,
            model_code=MODEL_CODE,
            undo=not options["keep"],
            log=self.stdout.write,
        )
