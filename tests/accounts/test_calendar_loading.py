"""The loader combines branch hours, admin exceptions and chinese-calendar; the admin warns about an
unconfirmed next year."""

from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.calendars import calendar_for_branch, confirmed_years, package_calendar, unconfirmed_years_ahead
from accounts.models import BranchWorkingHours, CalendarException, CalendarYear
from aftersales.workcalendar import (
    DEFAULT_WEEKLY_HOURS,
    SHANGHAI,
    WorkPeriod,
    add_working_hours,
    is_confirmed,
    working_hours_between,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
HOLIDAY = CalendarException.Kind.HOLIDAY
WORKING_DAY = CalendarException.Kind.WORKING_DAY


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_branch_without_hours_works_the_default_week(branch_a):
    assert calendar_for_branch(branch_a).weekly_hours == DEFAULT_WEEKLY_HOURS
    assert calendar_for_branch(None).weekly_hours == DEFAULT_WEEKLY_HOURS


def test_branch_hours_are_used(branch_a):
    for weekday in range(6):  # Monday–Saturday 09:00–17:00, no lunch break
        BranchWorkingHours.objects.create(branch=branch_a, weekday=weekday, start=time(9), end=time(17))
    cal = calendar_for_branch(branch_a)
    assert cal.periods_on(date(2026, 11, 28)) == (WorkPeriod(time(9), time(17)),)  # Saturday
    assert cal.periods_on(date(2026, 11, 29)) == ()
    # An adjusted working day (2026-10-10, from the package) gets Monday's hours of this branch.
    assert cal.periods_on(date(2026, 10, 10)) == (WorkPeriod(time(9), time(17)),)
    assert add_working_hours(cal, at("2026-11-27 16:00"), 2) == at("2026-11-28 10:00")


def test_package_holidays_and_adjusted_working_days(branch_a):
    cal = calendar_for_branch(branch_a)
    assert {date(2026, 10, day) for day in range(1, 8)} <= cal.days_off
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= cal.extra_working_days
    assert date(2026, 9, 25) in cal.days_off  # 中秋
    assert set(range(2004, 2027)) <= cal.confirmed_years
    assert add_working_hours(cal, at("2026-09-30 17:00"), 1) == at("2026-10-08 09:00")


def test_global_and_branch_exceptions(branch_a, branch_b):
    CalendarException.objects.create(date=date(2027, 1, 1), kind=HOLIDAY, note="元旦")
    CalendarException.objects.create(date=date(2027, 1, 2), kind=WORKING_DAY, branch=branch_a, note="盘点")
    # The branch's own row wins over the row for everyone, and over the package.
    CalendarException.objects.create(date=date(2027, 1, 1), kind=WORKING_DAY, branch=branch_b)
    CalendarException.objects.create(date=date(2026, 10, 5), kind=WORKING_DAY, branch=branch_b)

    cal_a, cal_b, cal_all = (
        calendar_for_branch(branch_a),
        calendar_for_branch(branch_b),
        calendar_for_branch(None),
    )
    assert date(2027, 1, 1) in cal_a.days_off
    assert date(2027, 1, 2) in cal_a.extra_working_days
    assert date(2027, 1, 1) in cal_b.extra_working_days
    assert date(2027, 1, 2) not in cal_b.extra_working_days
    assert date(2026, 10, 5) in cal_b.extra_working_days
    assert date(2026, 10, 5) in cal_a.days_off
    assert date(2027, 1, 1) in cal_all.days_off and date(2027, 1, 2) not in cal_all.extra_working_days

    start = at("2026-12-31 17:00")
    assert add_working_hours(cal_a, start, 1) == at("2027-01-02 09:00")
    assert add_working_hours(cal_b, start, 1) == at("2027-01-01 09:00")


def test_unknown_years_do_not_raise_and_are_flagged(branch_a):
    cal = calendar_for_branch(branch_a)
    start = at("2026-12-30 10:00")
    deadline = add_working_hours(cal, start, 2000)
    assert deadline.year == 2028
    assert working_hours_between(cal, start, deadline) == timedelta(hours=2000)
    assert not is_confirmed(cal, start, deadline)
    assert 2027 not in confirmed_years()


def test_admin_confirmed_year(branch_a, supervisor):
    CalendarYear.objects.create(year=2027, confirmed_by=supervisor, note="国办发明电")
    cal = calendar_for_branch(branch_a)
    assert 2027 in cal.confirmed_years
    assert is_confirmed(cal, at("2026-12-31 17:00"), at("2027-01-04 09:00"))
    assert unconfirmed_years_ahead(date(2026, 11, 27)) == []
    assert unconfirmed_years_ahead(date(2027, 11, 27)) == [2028]


def test_package_data_is_read_once(branch_a, monkeypatch):
    package_calendar()
    before = package_calendar.cache_info().hits
    calendar_for_branch(branch_a)
    calendar_for_branch(branch_a)
    assert package_calendar.cache_info().misses == 1
    assert package_calendar.cache_info().hits > before


def test_three_queries(branch_a, django_assert_num_queries):
    with django_assert_num_queries(3):  # hours, exceptions, confirmed years
        calendar_for_branch(branch_a)


def test_package_functions_raise_but_the_loader_does_not(branch_a):
    import chinese_calendar

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))
    assert calendar_for_branch(branch_a).periods_on(date(2027, 1, 1))  # a plain Friday


def test_database_constraints(branch_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchWorkingHours.objects.create(branch=branch_a, weekday=0, start=time(12), end=time(9))
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchWorkingHours.objects.create(branch=branch_a, weekday=7, start=time(9), end=time(12))
    CalendarException.objects.create(date=date(2027, 1, 1), kind=HOLIDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarException.objects.create(date=date(2027, 1, 1), kind=WORKING_DAY)
    CalendarException.objects.create(date=date(2027, 1, 1), kind=WORKING_DAY, branch=branch_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarException.objects.create(date=date(2027, 1, 1), kind=HOLIDAY, branch=branch_a)


def test_data_migration_gives_existing_branches_the_default_hours(branch_a):
    migration = importlib.import_module("accounts.migrations.0003_working_calendar")
    migration.default_hours(apps, None)
    assert calendar_for_branch(branch_a).weekly_hours == DEFAULT_WEEKLY_HOURS
    assert BranchWorkingHours.objects.filter(branch=branch_a).count() == 10


@pytest.fixture
def admin_client_cn(client, branch_a):
    user = UserFactory(username="root", branch=branch_a, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def today_2026_11_27(monkeypatch):
    monkeypatch.setattr("accounts.admin.timezone.localdate", lambda *args: date(2026, 11, 27))


@pytest.mark.parametrize("model", ["calendarexception", "calendaryear"])
def test_admin_warns_about_an_unconfirmed_next_year(admin_client_cn, today_2026_11_27, model):
    response = admin_client_cn.get(reverse(f"admin:accounts_{model}_changelist"))
    assert response.status_code == 200
    warnings = [str(message) for message in response.context["messages"]]
    assert len(warnings) == 1
    assert "2027 年的法定节假日和调休尚未确认" in warnings[0]

    CalendarYear.objects.create(year=2027)
    response = admin_client_cn.get(reverse(f"admin:accounts_{model}_changelist"))
    assert not [str(message) for message in response.context["messages"]]


def test_admin_records_who_confirmed_a_year(admin_client_cn):
    response = admin_client_cn.post(
        reverse("admin:accounts_calendaryear_add"), {"year": 2027, "note": "通知"}
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).confirmed_by.username == "root"


def test_admin_refuses_overlapping_hours(admin_client_cn, branch_a):
    prefix = "working_hours"
    data = {
        "code": branch_a.code,
        "name": branch_a.name,
        "kind": branch_a.kind,
        "is_active": "on",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-weekday": "0",
        f"{prefix}-0-start": "08:30",
        f"{prefix}-0-end": "12:00",
        f"{prefix}-1-weekday": "0",
        f"{prefix}-1-start": "11:00",
        f"{prefix}-1-end": "17:30",
    }
    url = reverse("admin:accounts_branch_change", args=[branch_a.pk])
    response = admin_client_cn.post(url, data)
    assert response.status_code == 200
    assert "星期一 的工作时段有重叠" in response.content.decode()
    assert not BranchWorkingHours.objects.exists()

    data[f"{prefix}-1-start"] = "13:30"
    response = admin_client_cn.post(url, data)
    assert response.status_code == 302
    assert calendar_for_branch(branch_a).periods_on(date(2026, 11, 30)) == (
        WorkPeriod(time(8, 30), time(12)),
        WorkPeriod(time(13, 30), time(17, 30)),
    )
