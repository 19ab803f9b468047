"""A technician's skills, zones, working days and leave (issue #18): kept by an admin on the user's page,
guarded by the database, and filled in by the demo."""

import datetime

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.models import TechnicianLeave, TechnicianProfile, TechnicianSkill, User
from tests.accounts.factories import TechnicianLeaveFactory, TechnicianSkillFactory


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.django_db
def test_an_admin_records_zones_days_skills_and_leave_on_the_technicians_page(client, technician):
    admin = User.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[technician.pk])
    assert "常驻区域" in client.get(url).content.decode()
    data = {
        "username": technician.username,
        "last_name": technician.last_name,
        "first_name": technician.first_name,
        "branch": technician.branch_id,
        "is_active": "on",
        "groups": [group.pk for group in technician.groups.all()],
        "date_joined_0": "2026-01-05",
        "date_joined_1": "08:00:00",
        **_inline_management("technician_profile", total=1),
        "technician_profile-0-home_zone": "suburb",
        "technician_profile-0-zones_served": ["suburb", "remote"],
        "technician_profile-0-working_weekdays": ["1", "2", "5"],
        "technician_profile-0-daily_capacity": "5",
        **_inline_management("skills", total=1),
        "skills-0-category": "appliance",
        "skills-0-certificate": "制冷设备维修操作证",
        "skills-0-valid_until": "2027-06-30",
        **_inline_management("leaves", total=1),
        "leaves-0-starts_on": "2026-12-10",
        "leaves-0-ends_on": "2026-12-12",
        "leaves-0-reason": "年假",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = TechnicianProfile.objects.get(user=technician)
    assert (profile.home_zone, profile.zones_served, profile.working_weekdays, profile.daily_capacity) == (
        "suburb",
        ["suburb", "remote"],
        [1, 2, 5],
        5,
    )
    skill = TechnicianSkill.objects.get(technician=technician)
    assert (skill.category, skill.valid_until) == ("appliance", datetime.date(2027, 6, 30))
    leave = TechnicianLeave.objects.get(technician=technician)
    assert (leave.starts_on, leave.ends_on) == (datetime.date(2026, 12, 10), datetime.date(2026, 12, 12))


@pytest.mark.django_db
def test_a_leave_that_ends_before_it_starts_is_refused_by_the_admin_and_the_database(client, technician):
    admin = User.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_technicianleave_add"),
        {"technician": technician.pk, "starts_on": "2026-12-10", "ends_on": "2026-12-09", "reason": "x"},
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not TechnicianLeave.objects.exists()
    with pytest.raises(IntegrityError):
        TechnicianLeaveFactory(
            technician=technician, starts_on=datetime.date(2026, 12, 10), ends_on=datetime.date(2026, 12, 9)
        )


@pytest.mark.django_db
def test_one_skill_row_per_category_and_a_certificate_counts_up_to_its_last_day(technician):
    skill = TechnicianSkillFactory(technician=technician, valid_until=datetime.date(2026, 12, 31))
    assert skill.is_valid_on(datetime.date(2026, 12, 31))
    assert not skill.is_valid_on(datetime.date(2027, 1, 1))
    assert TechnicianSkill(category="body", valid_until=None).is_valid_on(datetime.date(9999, 12, 31))
    with pytest.raises(IntegrityError):
        TechnicianSkillFactory(technician=technician, category="appliance")


@pytest.mark.django_db
def test_leave_covering_finds_every_leave_that_touches_the_days(technician):
    day = datetime.date(2026, 12, 10)
    inside = TechnicianLeaveFactory(technician=technician, starts_on=day, ends_on=day)
    spanning = TechnicianLeaveFactory(
        technician=technician,
        starts_on=day - datetime.timedelta(days=3),
        ends_on=day + datetime.timedelta(days=3),
    )
    TechnicianLeaveFactory(
        technician=technician,
        starts_on=day + datetime.timedelta(days=1),
        ends_on=day + datetime.timedelta(days=2),
    )
    TechnicianLeaveFactory(
        technician=technician,
        starts_on=day - datetime.timedelta(days=9),
        ends_on=day - datetime.timedelta(days=1),
    )
    assert set(TechnicianLeave.objects.covering(day, day)) == {inside, spanning}


@pytest.mark.django_db
def test_the_demo_gives_every_technician_zones_days_skills_and_a_future_leave():
    call_command("seed_demo", customers=5)
    today = timezone.localdate()
    for username in ("technician", "technician2", "hz_technician"):
        user = User.objects.get(username=username)
        profile = user.technician_profile
        assert profile.home_zone in profile.zones_served
        assert profile.working_weekdays
        assert user.skills.filter(category="appliance").exists()
        assert all(skill.is_valid_on(today) for skill in user.skills.all())
    # Leave lies ahead, so the demo board offers everyone today and shows the leave in the calendar.
    assert TechnicianLeave.objects.filter(starts_on__gt=today).exists()
    assert not TechnicianLeave.objects.covering(today, today).exists()
    call_command("seed_demo", customers=5)
    assert TechnicianSkill.objects.count() == 7


@pytest.mark.django_db
def test_only_a_technicians_page_has_the_dispatch_facts(client, dispatcher, technician):
    admin = User.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    client.force_login(admin)
    assert (
        "常驻区域" in client.get(reverse("admin:accounts_user_change", args=[technician.pk])).content.decode()
    )
    assert (
        "常驻区域"
        not in client.get(reverse("admin:accounts_user_change", args=[dispatcher.pk])).content.decode()
    )
