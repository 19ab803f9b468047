"""Each app grants its own model permissions to the role groups (accounts.roles.grant in each app's
migration): after migrating, the groups hold what they held when accounts granted them all."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def permissions(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_every_role_group_exists():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "dispatcher",
        "technician",
        "supervisor",
        "warehouse",
        "finance",
        "manager",
        "general_manager",
        "admin",
    }


def test_intake_roles_log_calls_and_technicians_only_read_customers():
    for role in ("dispatcher", "supervisor"):
        assert {
            "customers.add_customer",
            "customers.change_unit",
            "tickets.add_repairticket",
            "warranty.view_warrantypolicy",
            "accounts.view_branch",
        } <= permissions(role)
    technician = permissions("technician")
    assert {
        "customers.view_customer",
        "tickets.change_repairticket",
        "tickets.view_ticketevent",
    } <= technician
    assert not {"customers.add_customer", "warranty.view_warrantypolicy", "accounts.view_branch"} & technician
    assert permissions("warehouse") == {
        "customers.view_productmodel",
        "customers.view_unit",
        "tickets.view_repairticket",
    }


def test_the_admin_edits_branches_users_policies_and_contracts():
    admin = permissions("admin")
    assert {
        "accounts.change_user",
        "accounts.delete_branch",
        "warranty.change_warrantypolicy",
        "warranty.delete_maintenancecontract",
        "customers.change_productmodel",
        "auth.change_group",
    } <= admin
    assert "customers.delete_customer" not in admin
