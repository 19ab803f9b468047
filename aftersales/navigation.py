"""The header's menu: the links each role may open, grouped by work area (issue #16).

One list of areas instead of a row of links per app: with eleven links a supervisor's or a manager's
header wrapped one character per line at 1024 px. An area with one link for this user is a plain link,
an area with more is a dropdown. Six areas and the account menu fit at 1024 px in English (the wider
language), so no 更多 menu is needed; tests/browser/test_header.py measures it for every role. The
rules of who sees which link are the ones the views apply (tests/security/test_links.py follows every
link of every role and fails on a 403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from aftersales.links import fixed_url
from customers.services import EDITORS

D, T, S = Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR
W, F, M, GM, A = Role.WAREHOUSE, Role.FINANCE, Role.MANAGER, Role.GENERAL_MANAGER, Role.ADMIN
REPORT_READERS = (S, M, GM, A)


@dataclass(frozen=True)
class Who:
    """What the menu needs to know about the user."""

    roles: frozenset[str]
    is_staff: bool
    is_superuser: bool

    def any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def _roles(*roles: str) -> Callable[[Who], bool]:
    return lambda who: who.any(*roles)


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    shown: Callable[[Who], bool]
    query: str = ""


@dataclass(frozen=True)
class Area:
    label: str
    testid: str
    items: tuple[Item, ...]


AREAS = (
    Area(
        _("服务"),
        "service",
        (
            Item(_("报修登记"), "tickets:intake", _roles(D)),
            Item(_("派工看板"), "tickets:dispatch_board", _roles(D, S)),
            Item(_("我的任务"), "tickets:my_jobs", _roles(T)),
            Item(_("工单"), "tickets:list", lambda who: True, query="?state=open"),
            Item(_("进出登记簿"), "tickets:goods_register", _roles(D, S, W)),
            # The customer's channel (issue #17): registrations to confirm, QR labels to print.
            Item(_("产品登记审核"), "portal:registrations", _roles(*EDITORS)),
            Item(_("打印二维码标签"), "portal:labels", _roles(*EDITORS)),
            Item(_("到期合同"), "warranty:expiring_contracts", _roles(D, S, M)),
        ),
    ),
    Area(
        _("回访投诉"),
        "care",
        (
            Item(_("今日回访"), "surveys:call_queue", _roles(D, S, M, GM)),
            Item(_("客户投诉"), "surveys:complaints", _roles(D, S, M, GM), query="?state=open"),
        ),
    ),
    Area(
        _("备件"),
        "parts",
        (
            Item(_("我的配件"), "parts:my_van", _roles(T)),
            Item(_("备件"), "parts:home", lambda who: who.is_superuser or who.any(W, S, M, F, GM)),
            # The parts office (above) links to the backorders itself; a dispatcher has no parts office.
            Item(
                _("缺货登记"),
                "parts:backorders",
                lambda who: who.any(D) and not (who.is_superuser or who.any(W, S, M, F, GM)),
            ),
        ),
    ),
    Area(
        _("赔偿与收费"),
        "money",
        (
            Item(_("待我审批"), "claims:approvals", _roles(S, M, GM)),
            Item(_("赔偿申请"), "claims:claim_list", lambda who: bool(who.roles)),
            Item(_("核销"), "claims:write_offs", _roles(F, M, GM)),
            Item(_("服务费"), "claims:fees", _roles(F, M, GM)),
            Item(_("当日收款"), "claims:takings", _roles(F, M, S, T)),
        ),
    ),
    Area(
        _("统计报表"),
        "reports",
        (
            Item(_("服务指标"), "reports:dashboard", _roles(*REPORT_READERS)),
            Item(_("质量分析"), "reports:quality", _roles(*REPORT_READERS)),
            Item(_("月度满意度报告"), "reports:monthly", _roles(A, M, GM)),
            Item(_("服务主任日报"), "reports:branch_daily", _roles(*REPORT_READERS)),
            Item(_("技术员日报"), "reports:technician_daily", _roles(*REPORT_READERS)),
            Item(
                _("我的日报"),
                "reports:technician_daily",
                lambda who: who.any(T) and not who.any(*REPORT_READERS),
            ),
            Item(_("叫修登记簿"), "reports:call_register", _roles(D, *REPORT_READERS)),
            # Long exports (the monthly report, a long ticket list): whoever may start one, no technician.
            Item(_("我的导出"), "reports:exports", _roles(D, S, W, F, M, GM, A)),
        ),
    ),
    Area(
        _("系统管理"),
        "admin",
        (
            Item(_("系统管理"), "admin:index", lambda who: who.is_staff),
            # Moving in from spreadsheets (tickets.callbook): the views let the admin role only.
            Item(_("导入历史数据"), "tickets:callbook", lambda who: who.is_superuser or who.any(A)),
            Item(_("审计日志"), "audit:log", lambda who: who.is_superuser or who.any(A)),
        ),
    ),
)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    active: bool


@dataclass(frozen=True)
class Entry:
    """A top-level entry of the header: a link (one item) or a dropdown (`links`)."""

    label: str
    testid: str
    links: tuple[Link, ...]

    @property
    def is_dropdown(self) -> bool:
        return len(self.links) > 1

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


def entries_for(who: Who, path: str = "") -> list[Entry]:
    """The header's entries for this user, in order."""
    entries = []
    for area in AREAS:
        links = []
        for item in area.items:
            if item.shown(who):
                url = fixed_url(item.url_name)
                links.append(Link(item.label, url + item.query, active=bool(path) and path == url))
        if links:
            label = links[0].label if len(links) == 1 else area.label
            entries.append(Entry(label, area.testid, tuple(links)))
    return entries


_DROPDOWN = (
    '<li class="nav-item dropdown"><button class="nav-link dropdown-toggle{active}" type="button"'
    ' data-bs-toggle="dropdown" data-testid="nav-{testid}" aria-expanded="false">{label}</button>'
    '<ul class="dropdown-menu">{links}</ul></li>'
)
_DROPDOWN_LINK = '<li><a class="dropdown-item{active}" href="{url}"{current}>{label}</a></li>'
_LINK = (
    '<li class="nav-item"><a class="nav-link{active}" href="{url}" data-testid="nav-{testid}"{current}>{label}</a>'
    "</li>"
)


def nav_html(who: Who, path: str = "") -> str:
    """The header's menu (`_nav.html` as it was), written once per kind of user, language, URLconf, script
    prefix and highlighted link, then reused: its ~100 template lookups were a third of the header on every
    page (issue #19). Only the menu's own URLs are highlighted, so the path a page names is not a key."""
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    active = path if path in _menu_urls(urlconf, prefix) else ""
    return _nav_html(who, active, get_language(), urlconf, prefix)


@lru_cache(maxsize=64)
def _menu_urls(urlconf: str, script_prefix: str) -> frozenset[str]:
    return frozenset(fixed_url(item.url_name) for area in AREAS for item in area.items)


@lru_cache(maxsize=1024)
def _nav_html(who: Who, active: str, language: str, urlconf: str, script_prefix: str) -> str:
    parts = []
    for entry in entries_for(who, active):
        if entry.is_dropdown:
            links = "".join(
                _DROPDOWN_LINK.format(
                    active=" active" if link.active else "",
                    url=escape(link.url),
                    current=' aria-current="page"' if link.active else "",
                    label=escape(str(link.label)),
                )
                for link in entry.links
            )
            parts.append(
                _DROPDOWN.format(
                    active=" active" if entry.active else "",
                    testid=entry.testid,
                    label=escape(str(entry.label)),
                    links=links,
                )
            )
        else:
            link = entry.links[0]
            parts.append(
                _LINK.format(
                    active=" active" if link.active else "",
                    url=escape(link.url),
                    testid=entry.testid,
                    current=' aria-current="page"' if link.active else "",
                    label=escape(str(link.label)),
                )
            )
    return mark_safe(  # noqa: S308 - every label and URL escaped above
        f'<ul class="navbar-nav me-auto flex-nowrap" data-testid="nav">{"".join(parts)}</ul>'
    )


def menu(request: HttpRequest) -> dict:
    """Context processor: the header's menu (`nav_html`) for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_html": ""}
    who = Who(roles=frozenset(user.roles), is_staff=user.is_staff, is_superuser=user.is_superuser)
    return {"nav_html": nav_html(who, request.path)}
