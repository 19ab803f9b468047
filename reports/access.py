"""Who may read which report, and which branch a report covers for them (one place for every view).

Headquarters (and superusers) see every branch and may pick one; everyone else sees only their own
branch, whatever they ask for. A technician sees only their own daily report.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import Branch, Role
from reports.forms import MonthForm
from reports.kpis import Scope
from reports.periods import Month

DASHBOARD_ROLES = (Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER, Role.ADMIN)
# The monthly satisfaction report is the admins' export (DESIGN §1); the managers read it too.
MONTHLY_ROLES = (Role.ADMIN, Role.MANAGER, Role.GENERAL_MANAGER)
# The supervisor's daily report sums the branch's technicians (§7-十六); the manager reads it (§7-十七).
BRANCH_DAILY_ROLES = DASHBOARD_ROLES
REGISTER_ROLES = (Role.DISPATCHER, *DASHBOARD_ROLES)


def may_view_dashboard(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_role(*DASHBOARD_ROLES))


def may_export_monthly(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_role(*MONTHLY_ROLES))


def may_export_manufacturing(user) -> bool:
    """The monthly quality report for manufacturing covers every branch (reports.manufacturing): only
    those who read the dashboard and see every branch (headquarters, superusers) may download it."""
    return may_view_dashboard(user) and user.sees_all_branches


def may_view_branch_daily(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_role(*BRANCH_DAILY_ROLES))


def may_view_register(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_role(*REGISTER_ROLES))


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_dashboard(user) -> None:
    require(may_view_dashboard(user), _("只有服务主任、经理、总经理和系统管理员可以查看统计报表。"))


def require_monthly(user) -> None:
    require(may_export_monthly(user), _("只有系统管理员、经理和总经理可以导出月度满意度报告。"))


def require_manufacturing(user) -> None:
    require(may_export_manufacturing(user), _("月度质量报告覆盖全部网点,只有总部人员可以下载。"))


def require_branch_daily(user) -> None:
    require(may_view_branch_daily(user), _("只有服务主任、经理、总经理和系统管理员可以查看主任日报。"))


def require_register(user) -> None:
    require(may_view_register(user), _("您没有查看叫修登记簿的权限。"))


def report_branch(user, chosen: Branch | None) -> Branch | None:
    """The branch a report covers: headquarters' choice (None = every branch), else the user's own."""
    if user.sees_all_branches:
        return chosen
    if user.branch_id is None:
        raise PermissionDenied(_("您的账号没有所属网点,无法查看报表。"))
    return user.branch


def month_scope(user, data, default_month: Month) -> tuple[MonthForm, Scope]:
    """The month and branch a report covers for `user` from its query (`month`, `branch`): the picker
    (with any errors) and the scope, the defaults standing in for bad input. The pages and the API
    both read their scope here."""
    form = MonthForm(data, user=user, default_month=default_month)
    month, chosen = form.values()
    return form, Scope(month=month, branch=report_branch(user, chosen))


def scope_label(branch: Branch | None) -> str:
    return branch.name if branch else _("全部网点")
