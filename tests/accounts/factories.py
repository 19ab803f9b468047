import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Branch, TechnicianLeave, TechnicianProfile, TechnicianSkill, User

PASSWORD = "pw-for-tests-1"


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.LazyAttribute(lambda o: f"{o.code} 服务中心")
    kind = Branch.Kind.BRANCH_COMPANY

    class Params:
        headquarters = factory.Trait(kind=Branch.Kind.HEADQUARTERS)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "王"
    first_name = factory.Sequence(lambda n: f"测试{n}")
    branch = factory.SubFactory(BranchFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        self.save()


class TechnicianProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicianProfile
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory, roles=["technician"])
    home_zone = "city"
    zones_served = factory.LazyFunction(lambda: ["city"])
    working_weekdays = factory.LazyFunction(lambda: [0, 1, 2, 3, 4, 5, 6])


class TechnicianSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicianSkill

    technician = factory.SubFactory(UserFactory, roles=["technician"])
    category = "appliance"
    valid_until = None


class TechnicianLeaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicianLeave

    technician = factory.SubFactory(UserFactory, roles=["technician"])
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.SelfAttribute("starts_on")
    reason = "年假"
