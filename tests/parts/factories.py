from decimal import Decimal

import factory

from parts.models import Part, Supplier, Warehouse
from tests.accounts.factories import BranchFactory, UserFactory


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"供应商{n}")


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"P-{n:04d}")
    name = "压缩机"
    specification = "QXA-B141"
    unit = "台"
    cost = Decimal("850.00")
    market_price = Decimal("1280.00")
    supplier = factory.SubFactory(SupplierFactory)


class WarehouseFactory(factory.django.DjangoModelFactory):
    """A service station store by default; `van=True` gives a technician's van in the same branch."""

    class Meta:
        model = Warehouse
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"WH{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.code} 仓库")
    kind = Warehouse.Kind.STATION
    branch = factory.SubFactory(BranchFactory)
    technician = None

    class Params:
        van = factory.Trait(
            kind=Warehouse.Kind.VAN,
            technician=factory.SubFactory(
                UserFactory, branch=factory.SelfAttribute("..branch"), roles=["technician"]
            ),
        )
