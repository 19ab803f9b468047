import datetime

import factory
from django.utils import timezone

from customers.models import Customer, CustomerPhone, FaultCategory, ProductModel, Unit
from tests.accounts.factories import BranchFactory
from warranty.models import WarrantyPolicy


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"M-{n}")
    name = "壁挂式空调"
    category = FaultCategory.APPLIANCE
    warranty_policy = factory.LazyFunction(lambda: WarrantyPolicy.objects.get(slug="manufacturer"))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"客户{n}")
    address = "上海市黄浦区南京东路 1 号"
    branch = factory.SubFactory(BranchFactory)
    phone = factory.RelatedFactory(
        "tests.customers.factories.CustomerPhoneFactory", factory_related_name="customer"
    )


class CustomerPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPhone

    number = factory.Sequence(lambda n: f"139{n:08d}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    product_model = factory.SubFactory(ProductModelFactory)
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    owner = factory.SubFactory(CustomerFactory)
    purchase_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=100))
    purchase_place = "京东自营"
