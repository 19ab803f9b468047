"""`manage.py check_stock_ledger`: compare every on-hand quantity with the sum of its ledger rows."""

from django.core.management.base import BaseCommand, CommandError

from parts.tasks import check_stock_ledger


class Command(BaseCommand):
    help = "Compare on-hand stock with the ledger sum; list the differences and fail if there are any."

    def handle(self, *args, **options) -> None:
        found = check_stock_ledger()
        for line in found:
            self.stdout.write(line)
        if found:
            raise CommandError(f"{len(found)} stock level(s) differ from the ledger")
        self.stdout.write(self.style.SUCCESS("Stock levels agree with the ledger."))
