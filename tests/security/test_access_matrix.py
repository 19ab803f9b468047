"""Who may open what (issue #8): every URL and API operation × every role × own branch / other branch /
other technician's job, with the expected status of each cell written down in one table.

How to read a row of ACCESS: `R(roles, ...)` — the roles that get the page (GET: 200) or get past the
view's own gate (POST with an empty body: anything but 403/404, e.g. 302 back with a form error or
400); every other role gets `denied`. `objects` fills the URL's kwargs from the world (conftest.py): a
world key is an object of the own branch SH or of the other branch HZ; a value starting with "=" is a
literal (or a world value both branches share, like the survey link's token). Scopes tested for a URL naming an object:

- own: the SH object, users of SH (gm and admin sit at headquarters and see every branch);
- other: the HZ object: an SH user gets `outsider` if they hold the right, `outsider_denied` if not;
  headquarters users get what they get for the SH object;
- other_tech: the SH object opened by `technician2` (the SH jobs belong to `technician`): 404 by
  default where technicians are in `roles` (a technician sees only their own jobs).

`special` / `special_other` pin a status for one role where the view answers differently on purpose
(e.g. the home page sends a technician to their jobs). `xfail` marks a cell where the app is wrong,
strictly (the test starts failing when it is fixed, so the table gets corrected).

A POST row with an empty body cannot tell a refusal inside the service (a flash message and a 302)
from a form error: there it asserts the view's own gates (branch scope → 404, role → 403) only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from tests.conftest import require
from tests.operations.conftest import redis_answers
from tests.security.conftest import OTHER_TECHNICIAN, ROLE_USER

D, T, S, W = Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR, Role.WAREHOUSE
F, M, G, A = Role.FINANCE, Role.MANAGER, Role.GENERAL_MANAGER, Role.ADMIN
ALL = frozenset(Role.values)
OFFICE = ALL - {T}
BACK_OFFICE = frozenset({S, W, F, M, G, A})
HEADQUARTERS = frozenset({G, A})

OWN, OTHER, OTHER_TECH = "own", "other", "other_tech"
ANONYMOUS = "anonymous"

# Not in the matrix: the Django admin (staff only, tests/test_admin.py), login/logout/language
# switch and the single sign-on steps (public by nature: tests/accounts/test_*_login.py) and the API
# schema/docs (public by design).
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {
    "login",
    "logout",
    "set_language",
    "api-schema",
    "api-docs",
    "accounts:oidc_start",
    "accounts:oidc_callback",
    "accounts:wecom_start",
    "accounts:wecom_callback",
}


@dataclass(frozen=True)
class R:
    roles: frozenset[str]
    objects: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    denied: int = 403
    outsider: int = 404
    outsider_denied: int = 404
    other_tech: int | None = None
    special: dict[str, int] = field(default_factory=dict)
    special_other: dict[str, int] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    api: bool = False
    public: bool = False
    xfail: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def scoped(self) -> bool:
        return any(not key.startswith("=") for key in self.objects.values())


def POST(roles, **kwargs) -> R:  # noqa: N802 - reads like the HTTP method in the table
    return R(frozenset(roles), method="POST", **kwargs)


def API(roles, **kwargs) -> R:  # noqa: N802
    return R(frozenset(roles), api=True, **kwargs)


def GET(roles, **kwargs) -> R:  # noqa: N802
    return R(frozenset(roles), **kwargs)


ON_SITE = {"pk": "ticket_on_site"}
DONE = {"pk": "ticket_awaiting_acceptance"}

ACCESS: dict[str, R] = {
    # --- tickets ---
    "home": GET(ALL, special={T: 302}),  # a technician is sent to their jobs
    "tickets:list": GET(ALL),
    "tickets:intake": GET({D}),
    "tickets:fault_code_options": GET(ALL),
    "tickets:dispatch_board": GET({D, S}),
    "tickets:my_jobs": GET(ALL),
    "tickets:detail": GET(ALL, objects=ON_SITE),
    "tickets:report": GET(ALL, objects=ON_SITE),
    "tickets:pickup_receipt_pdf": GET(ALL, objects={"pk": "goods_ticket"}),
    "tickets:repair_tag_pdf": GET(ALL, objects={"pk": "goods_ticket"}),
    "tickets:goods_register": GET({D, S, W, M}),
    "tickets:report_signature": GET(ALL, objects={**DONE, "report_id": "report"}),
    "tickets:report_photo": GET(ALL, objects={**DONE, "photo_id": "photo"}),
    "tickets:fault_photo": GET(ALL, objects={**ON_SITE, "photo_id": "fault_photo"}),
    "tickets:fault_video": GET(ALL, objects=ON_SITE),
    # A staff action of the customer's channel: the role is checked before the ticket's scope.
    "portal:send_link": POST({D, S}, objects=ON_SITE, outsider_denied=403),
    # The office's queue of product registrations and the QR label sheet: the role before the branch.
    "portal:registrations": GET({D, S}),
    "portal:invoice": GET({D, S}, objects={"pk": "registration"}, outsider_denied=403),
    "portal:confirm": POST({D, S}, objects={"pk": "registration"}, outsider_denied=403),
    "portal:reject": POST({D, S}, objects={"pk": "registration"}, outsider_denied=403),
    "portal:labels": GET({D, S}),
    "tickets:report_voucher": GET(ALL, objects={**DONE, "report_id": "report"}),
    "tickets:transition": POST(
        {D, S},
        objects={"pk": "ticket_reported", "name": "=dispatch"},
        body={"version": "ticket_reported.version", "technician": "branch_technician"},
        special={T: 404},
    ),
    "tickets:revise_fault": POST(ALL, objects=ON_SITE),
    "tickets:record_contact": POST(ALL, objects={"pk": "ticket_dispatched"}),
    # The gate is the ticket's scope; only its assigned technician passes the service (tests/tickets/test_field_day.py).
    "tickets:depart": POST(ALL, objects={"pk": "ticket_dispatched"}),
    # The gate is the ticket's scope; the service lets dispatchers, supervisors and the assigned technician
    # set the window (tests/tickets/test_appointments.py).
    "tickets:appointment": POST(ALL, objects={"pk": "ticket_dispatched"}),
    "tickets:timeline": GET({D, S}),
    "tickets:timeline_drop": POST(
        {D, S},
        objects={"pk": "ticket_reported"},
        body={"version": "ticket_reported.version", "technician": "branch_technician"},
        special={T: 404},
    ),
    # The technician's app (PWA): the manifest and the service worker carry no data.
    "manifest": R(ALL, public=True),
    "service_worker": R(ALL, public=True),
    # The texts of static/js in the reader's language: the same for everyone.
    "javascript-catalog": R(ALL, public=True),
    "tickets:pause_clock": POST(ALL, objects={"pk": "ticket_dispatched"}),
    "tickets:resume_clock": POST(ALL, objects={"pk": "ticket_dispatched"}),
    "tickets:report_step": POST(ALL, objects={**ON_SITE, "step": "=1"}),
    "tickets:report_add_part": POST(ALL, objects=ON_SITE),
    "tickets:report_fault_code": POST({T}, objects=ON_SITE),
    "tickets:report_add_usual_parts": POST({T}, objects=ON_SITE),
    "tickets:report_add_photo": POST(ALL, objects=ON_SITE),
    "tickets:report_sign": POST(ALL, objects=ON_SITE),
    "tickets:report_remove_part": POST({T}, objects={**DONE, "part_id": "report_part"}),
    "tickets:report_remove_photo": POST({T}, objects={**DONE, "photo_id": "photo"}),
    "tickets:report_addendum": POST(ALL, objects=DONE),
    "tickets:return_approve": POST(ALL, objects={"pk": "ticket_rma_requested"}),
    "tickets:return_finish": POST(ALL, objects={"pk": "ticket_in_factory"}),
    "tickets:return_hand_over": POST(ALL, objects={"pk": "ticket_awaiting_pickup"}),
    "tickets:return_ship_back": POST(ALL, objects={"pk": "ticket_awaiting_pickup"}),
    # --- customers ---
    "tickets:save_filter": POST(ALL),
    "tickets:delete_filter": POST(ALL, objects={"pk": "=1"}),
    "tickets:bulk": POST({D, S}),
    # Moving in from spreadsheets (issue #21 item 3): the admin role only, whatever the batch.
    "tickets:callbook": GET({A}),
    "tickets:callbook_template": GET({A}, objects={"fmt": "=xlsx"}),
    "tickets:callbook_batch": GET({A}, objects={"pk": "import_batch"}, outsider_denied=403),
    "tickets:callbook_run": POST({A}, objects={"pk": "import_batch"}, outsider_denied=403),
    "tickets:callbook_undo": GET({A}, objects={"pk": "import_batch"}, outsider_denied=403),
    "reports:ticket_export": GET(ALL, objects={"fmt": "=csv"}),
    "customers:search": GET(ALL),
    "customers:list": GET(ALL),
    "customers:edit": GET({D, S}, objects={"pk": "customer"}),
    "customers:unit_edit": GET({D, S}, objects={"pk": "unit"}),
    "history:customer": GET(ALL, objects={"pk": "customer"}, other_tech=200),
    "history:contract": GET(ALL, objects={"pk": "contract"}, other_tech=200),
    "history:unit": GET(ALL, objects={"pk": "unit"}, other_tech=200),
    # --- warranty ---
    "tickets:verdict_preview": POST(ALL),
    "warranty:expiring_contracts": GET(ALL),
    "claims:approvals": GET(ALL),
    "claims:claim_list": GET(ALL),
    "claims:claim_new": GET({D, T, S, M}, objects={"ticket_pk": "ticket_awaiting_acceptance"}),
    "claims:claim_detail": GET(OFFICE, objects={"pk": "claim"}, denied=404),
    "claims:claim_attachment": GET(
        OFFICE, objects={"pk": "claim", "attachment_id": "attachment"}, denied=404
    ),
    "claims:claim_pdf": GET(OFFICE, objects={"pk": "claim"}, denied=404),
    "claims:claim_decide": POST(OFFICE, objects={"pk": "claim"}, denied=404),
    "claims:claim_attach": POST(OFFICE, objects={"pk": "claim"}, denied=404),
    "claims:claim_withdraw": POST(OFFICE, objects={"pk": "claim"}, denied=404),
    "claims:claim_reassign": POST(OFFICE, objects={"pk": "claim"}, denied=404),
    "claims:write_offs": GET({S, F, M, G}),
    "claims:write_off_book": POST({F}, objects={"pk": "write_off"}, body={"voucher_number": "=记-0001"}),
    "claims:fees": GET({S, F, M, G}),
    "claims:fee_receive": POST(
        {F},
        objects={"report_id": "fee_report"},
        special={D: 404, W: 404},
        other_tech=404,
        special_other={G: 404, A: 404},
    ),
    "claims:fee_invoice": POST(
        {F},
        objects={"pk": "fee_handover"},
        body={"invoice_number": "=FP-0001", "invoice_date": "=2026-11-27"},
    ),
    "claims:takings": GET({T, S, F, M, G}),
    "claims:fee_quote": POST(ALL, objects={"ticket_pk": "ticket_on_site"}),
    # --- parts ---
    "parts:home": GET(ALL, special={T: 302}),
    "parts:catalogue": GET(ALL),
    "parts:catalogue_import": GET({W, A}),
    "parts:catalogue_export": GET(ALL, objects={"fmt": "=csv"}),
    "parts:warehouses": GET(ALL),
    "parts:warehouse": GET(OFFICE, objects={"pk": "warehouse"}, denied=404),
    "parts:counts_export": GET(OFFICE, objects={"pk": "warehouse", "fmt": "=csv"}, denied=404),
    "parts:counts_import": GET({W, A}),
    "parts:receiving_list": GET(ALL),
    "parts:receive": GET({W, A}),
    "parts:receiving_note": GET(OFFICE, objects={"pk": "receiving_note"}, denied=404),
    "parts:receiving_note_pdf": GET(OFFICE, objects={"pk": "receiving_note"}, denied=404),
    "parts:requisitions": GET(ALL),
    "parts:requisition_new": GET({T}, objects={"ticket_pk": "ticket_on_site"}),
    "parts:requisition": GET(ALL, objects={"pk": "requisition"}),
    "parts:requisition_pdf": GET(ALL, objects={"pk": "requisition"}),
    "parts:requisition_decide": POST(ALL, objects={"pk": "requisition"}),
    "parts:requisition_issue": POST({W}, objects={"pk": "requisition"}, other_tech=404),
    "parts:requisition_return": POST({W}, objects={"pk": "requisition"}, other_tech=404),
    "parts:requisition_close": POST({W}, objects={"pk": "requisition"}, other_tech=404),
    "parts:my_van": GET({T, A}),
    "parts:my_old_parts": GET({T, A}),
    "parts:old_parts": GET(BACK_OFFICE),
    "parts:old_part_receive": POST(ALL, objects={"pk": "old_part"}),
    "parts:old_part_dispose": POST(ALL, objects={"pk": "old_part"}),
    "parts:old_parts_monthly": GET(BACK_OFFICE),
    "parts:old_parts_monthly_pdf": GET(BACK_OFFICE),
    "parts:usages_outstanding": GET(BACK_OFFICE),
    "parts:usage_resolve": POST({W}, objects={"pk": "usage"}, other_tech=404),
    "parts:claims": GET(BACK_OFFICE),
    "parts:claim_new": GET(BACK_OFFICE - {G}),
    "parts:recovery_report": GET(BACK_OFFICE),
    "parts:claim": GET(BACK_OFFICE, objects={"pk": "supplier_claim"}, outsider_denied=403),
    "parts:claim_step": POST({S, W, F, M}, objects={"pk": "supplier_claim", "step": "=send"}),
    "parts:postage": GET(ALL),
    "parts:postage_approve": POST({S, M, G}, objects={"pk": "postage"}),
    "parts:backorders": GET({D, S, W, A}),
    "parts:backorder_step": POST({D, S, W}, objects={"pk": "backorder", "step": "=contact"}),
    "parts:handover_start": GET({S, A}),
    "parts:handover": GET(ALL, objects={"pk": "parts_handover"}),
    "parts:handover_pdf": GET(ALL, objects={"pk": "parts_handover"}),
    # --- surveys ---
    "surveys:call_queue": GET({D, S, M, G}),
    "surveys:call": GET({D, S, M, G}, objects={"pk": "call"}),
    "surveys:call_link": POST({D}, objects={"pk": "call"}),
    "surveys:thanks": R(ALL, public=True),
    "surveys:answer": R(ALL, objects={"token": "=survey_token"}, public=True),
    "surveys:complaints": GET({D, S, M, G}),
    "surveys:complaint_new": GET({D, S, M}),
    "surveys:complaint": GET({D, S, M, G}, objects={"pk": "complaint"}),
    "surveys:complaint_step": POST({S, M, G}, objects={"pk": "complaint", "step": "=plan"}),
    # --- reports ---
    "reports:dashboard": GET({S, M, G, A}),
    "reports:quality": GET({S, M, G, A}),
    # Every branch's figures in one file: headquarters only (G and A sit there; S and M at SH).
    "reports:quality_export": GET(HEADQUARTERS, objects={"fmt": "=xlsx"}),
    "reports:monthly": GET({M, G, A}),
    "reports:monthly_export": GET({M, G, A}, objects={"fmt": "=csv"}),
    "reports:technician_daily": GET({T, S, M, G, A}),
    "reports:technician_daily_pdf": GET({T, S, M, G, A}, query={"technician": "user:technician"}),
    "reports:branch_daily": GET({S, M, G, A}),
    "reports:branch_daily_pdf": GET({S, M, G, A}, query={"branch": "branch:SH"}),
    "reports:call_register": GET({D, S, M, G, A}),
    "reports:call_register_export": GET({D, S, M, G, A}, objects={"fmt": "=csv"}),
    # Long exports (issue #20): starting one is the export's own right (an empty body: 400); an export is
    # opened by its requester and by whoever may run it in its branch, anyone else gets a 404.
    "reports:monthly_export_start": POST({M, G, A}),
    "reports:ticket_export_start": POST(ALL),
    "reports:exports": GET(ALL),
    "reports:export_detail": GET({M, G, A}, objects={"pk": "export"}, denied=404),
    "reports:export_download": GET({M, G, A}, objects={"pk": "export"}, denied=404),
    # --- notifications (own = the user's own message, other = somebody else's) ---
    "notifications:inbox": GET(ALL),
    "notifications:preferences": GET(ALL),
    "notifications:open": POST(
        ALL, objects={"pk": "notification"}, other_tech=200, special_other={G: 404, A: 404}
    ),
    "notifications:mark_all_read": POST(ALL),
    # --- the user's own account (issue #15): password change, API tokens; the reset is public ---
    # --- audit trail (issue #21): the admins' screen, every branch ---
    "audit:log": GET({A}),
    "audit:export": GET({A}, objects={"fmt": "=csv"}),
    "accounts:password_change": GET(ALL),
    "accounts:password_change_done": GET(ALL),
    "accounts:tokens": GET(ALL),
    "accounts:revoke_token": POST(ALL),  # only the user's own tokens: tests/accounts/test_api_tokens.py
    "accounts:password_reset": R(ALL, public=True),
    "accounts:password_reset_done": R(ALL, public=True),
    "accounts:password_reset_confirm": R(
        ALL, public=True, objects={"uidb64": "=MQ", "token": "=set-password"}
    ),
    "accounts:password_reset_complete": R(ALL, public=True),
    # --- API (/api/v1/) ---
    "api-root": API(ALL),
    "api-token": R(ALL, method="POST", api=True, public=True),
    "api-warranty-check": API(ALL, method="POST"),
    "api-unit-warranty": API(ALL, objects={"serial": "unit.serial_number"}, other_tech=200),
    "api-parts": API(ALL),
    "api-parts-my-van": API(ALL),
    "ticket-list": API(ALL),
    "ticket-detail": API(ALL, objects=ON_SITE),
    "ticket-report": API(ALL, objects=DONE),
    "ticket-transition": API(
        {D, S}, method="POST", objects={"pk": "ticket_reported", "name": "=dispatch"}, special={T: 404}
    ),
    "ticket-report-sign": API({T}, method="POST", objects=ON_SITE),
    "ticket-voucher": API(ALL, objects={**DONE, "report_id": "report"}),
    # The goods register and the goods-in documents: as the pages (tickets/return_views.py).
    "api-goods-register": API({D, S, W, M}),
    "ticket-pickup-receipt": API(ALL, objects={"pk": "goods_ticket"}),
    "ticket-repair-tag": API(ALL, objects={"pk": "goods_ticket"}),
    # Customers and units (issue #22): everyone reads their scope (a technician their branch's, as the
    # customer pages); the dispatcher registers (API_WRITES), the office corrects.
    "customer-list": API(ALL),
    "customer-detail": API(ALL, objects={"pk": "customer"}, other_tech=200),
    "customer-changes": API(ALL, objects={"pk": "customer"}, other_tech=200),
    "unit-list": API(ALL),
    "unit-detail": API(ALL, objects={"pk": "unit"}, other_tech=200),
    # Follow-up calls: the call queue's viewers read, the branch's dispatcher records.
    "follow-up-call-list": API({D, S, M, G}),
    "follow-up-call-detail": API({D, S, M, G}, objects={"pk": "call"}, outsider_denied=403),
    "follow-up-call-record": API(
        {D}, method="POST", objects={"pk": "call"}, special_other={T: 403, W: 403, F: 403}
    ),
    # Claims: as the claim pages (the technician sees none; the services decide who decides).
    "claim-list": API(ALL),
    "claim-detail": API(OFFICE, objects={"pk": "claim"}, denied=404),
    "claim-decide": API(OFFICE, method="POST", objects={"pk": "claim"}, denied=404),
    "claim-withdraw": API(OFFICE, method="POST", objects={"pk": "claim"}, denied=404),
    # Fees: as the fees page (claims/finance_views.py): its readers read, finance of the branch writes;
    # the scope is the page's (billable_reports), so a role that sees no fee gets a 404.
    "fee-list": API({S, F, M, G}),
    # (The HZ twin's report has no fee of its own: not billable, a 404 for headquarters too, as on the
    # page's receive.)
    "fee-detail": API(
        {S, F, M, G}, objects={"pk": "fee_report"}, outsider_denied=403, special_other={G: 404}
    ),
    **{
        f"fee-{step}": API(
            {F},
            method="POST",
            objects={"pk": "fee_report"},
            special={D: 404, W: 404},
            other_tech=404,
            special_other={G: 404, A: 404},
        )
        for step in ("receive", "invoice")
    },
    # Requisitions: as the requisition pages.
    "requisition-list": API(ALL),
    "requisition-detail": API(ALL, objects={"pk": "requisition"}),
    "requisition-decide": API(ALL, method="POST", objects={"pk": "requisition"}),
    "requisition-issue": API({W}, method="POST", objects={"pk": "requisition"}, other_tech=404),
    # Receiving notes: as the receiving pages (the keepers of a store book, parts:receive).
    "receiving-note-list": API(ALL),
    "receiving-note-detail": API(OFFICE, objects={"pk": "receiving_note"}, denied=404),
    # Old parts: the old-parts page's viewers list; receiving is gated by the part's scope, then the body
    # (an empty one: 400), then the service's keeper check (tests/api/test_old_parts.py).
    "old-part-list": API(BACK_OFFICE),
    "old-part-receive": API(ALL, method="POST", objects={"pk": "old_part"}),
    "api-stock-levels": API(ALL),
    "api-stock-movements": API(ALL),
    # The KPI figures and the monthly report: as the dashboard and the monthly report page (reports/access.py).
    "api-kpis": API({S, M, G, A}),
    "api-monthly-report": API({M, G, A}),
    "api-monthly-report-pdf": API({M, G, A}),
    "api-monthly-report-xlsx": API({M, G, A}),
    "api-monthly-report-csv": API({M, G, A}),
    # One's own messages only: somebody else's is a 404 for everyone, headquarters too.
    "notification-list": API(ALL),
    "notification-read": API(
        ALL, method="POST", objects={"pk": "notification"}, other_tech=200, special_other={G: 404, A: 404}
    ),
    "notification-read-all": API(ALL, method="POST"),
    # Complaints: the complaint pages' viewers read; each step is its actors' (the others: 403 before
    # the scope, since they may see no complaint at all).
    "complaint-list": API({D, S, M, G}),
    "complaint-detail": API({D, S, M, G}, objects={"pk": "complaint"}, outsider_denied=403),
    **{
        f"complaint-{step}": API(
            roles, method="POST", objects={"pk": "complaint"}, special_other={T: 403, W: 403, F: 403}
        )
        for step, roles in (
            ("plan", {S, M, G}),
            ("visit", {S, M, G}),
            ("answer", {D, S, M, G}),
            ("close", {S, M, G}),
        )
    },
}
# The API's write operations that share their URL name with a read: creating a ticket, and the
# technician's report written through the API (only on site, only by the assigned technician).
API_WRITES = {
    "ticket-list": API(ALL, method="POST"),
    "ticket-report": API({T}, method="PATCH", objects=ON_SITE),
    "customer-list": API({D}, method="POST"),
    "customer-detail": API({D, S}, method="PATCH", objects={"pk": "customer"}),
    "unit-list": API({D}, method="POST"),
    "unit-detail": API({D, S}, method="PATCH", objects={"pk": "unit"}),
    # Filing a claim on the SH ticket: its branch's office or its technician (the rest: 403).
    "claim-list": API({D, T, S, M}, method="POST", body={"ticket": "ticket_awaiting_acceptance"}),
    "requisition-list": API({T}, method="POST", body={"ticket": "ticket_on_site"}),
    "receiving-note-list": API({W, A}, method="POST"),
    "complaint-list": API({D, S, M}, method="POST"),
    # Revoking the caller's token: only with a token (the clients here have sessions).
    "api-token": API(set(), method="DELETE", denied=401),
}


# --- the customer's channel (issue #17) ---
# Not staff pages: who opens them is nobody signed in, each staff role (a staff login is no customer's
# session), the customer whose ticket it is (own) and another customer (other: the HZ ticket belongs to
# another customer). A page for the signed-in customer sends everybody else to the code sign-in.
CUSTOMER = "customer"


@dataclass(frozen=True)
class P:
    objects: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    signed_in: bool = True  # the customer's page; False: open to anybody, who gets `others`
    others: int = 200
    customer: int = 200
    other: int = 404  # another customer's object

    @property
    def scoped(self) -> bool:
        return any(not key.startswith("=") for key in self.objects.values())


PORTAL: dict[str, P] = {
    "portal:sign_in": P(signed_in=False),
    # Without a number asked for first, the code page sends back to it.
    "portal:code": P(signed_in=False, others=302, customer=302),
    "portal:sign_out": P(method="POST", signed_in=False, others=302, customer=302),
    "portal:link": P(objects={"token": "=portal_token"}, signed_in=False),
    # Where the WeChat menu leads (without a code: straight on into the channel).
    "portal:wechat": P(signed_in=False, others=302, customer=302),
    "portal:home": P(),
    "portal:ticket": P(objects={"pk": "ticket_on_site"}),
    "portal:photo": P(objects={"pk": "ticket_on_site", "photo_id": "fault_photo"}),
    "portal:video": P(objects={"pk": "ticket_on_site"}),
    "portal:report": P(),
    "portal:voucher": P(objects={"pk": "ticket_awaiting_acceptance", "report_id": "report"}),
    # An empty answer: the page again with what is missing.
    "portal:survey": P(method="POST", objects={"pk": "survey_ticket"}),
    "portal:register": P(),
    # A unit's QR label: its owner's page; another customer is offered to register it (nothing shown).
    "portal:unit": P(objects={"serial": "portal_unit.serial_number"}, other=302),
    # Moving or cancelling the visit: the form before dispatch; once a technician is on the way, back to
    # the ticket's page with why (another customer's ticket: 404 either way).
    "portal:reschedule": P(objects={"pk": "ticket_reported"}),
    "portal:cancel": P(objects={"pk": "ticket_reported"}),
    "portal:complaint": P(objects={"pk": "ticket_on_site"}),
}
# The tickets the signed-in customer owns (their phone is on each one's customer).
PORTAL_TICKETS = ("ticket_on_site", "ticket_awaiting_acceptance", "survey_ticket", "ticket_reported")

# --- for machines (issue #20): the load balancer's probes and Prometheus' scrape ---
# The same answer for everybody, signed in or not: no login (a probe has none), and a staff or customer
# session opens nothing more. /metrics exists only where METRICS_TOKEN or METRICS_ALLOWED_NETWORKS is set,
# neither of which is here (with them: tests/operations/test_metrics.py). The browsers' /favicon.ico: a
# redirect to the app's icon, for everybody.
MACHINES: dict[str, int] = {"healthz": 200, "readyz": 200, "metrics": 404, "favicon": 301}


def url_patterns(resolver=None, namespace=""):
    """(name, pattern) of every URL of the project outside the skipped ones."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from url_patterns(entry, namespace + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern):
            name = namespace + (entry.name or "")
            if name not in SKIPPED_NAMES:
                yield name, entry


def test_every_url_and_api_operation_is_in_the_table():
    names = {name for name, _pattern in url_patterns()}
    tables = ACCESS.keys() | PORTAL.keys() | MACHINES.keys()
    assert names - tables == set(), "new URLs: add them to ACCESS (PORTAL) with who may use them"
    assert tables - names == set(), "ACCESS or PORTAL names URLs that no longer exist"
    for name, pattern in url_patterns():
        # Every kwarg is filled by the table (the DRF format suffix variants are the same views).
        kwargs = set(pattern.pattern.regex.groupindex) - {"format"}
        rule = ACCESS.get(name) or PORTAL.get(name)
        assert kwargs <= (rule.objects.keys() if rule else set()), f"{name}: map {kwargs} in ACCESS"


def expected(rule: R, role: str, scope: str) -> int:
    if scope == OTHER_TECH:
        if rule.other_tech is not None:
            return rule.other_tech
        return 404 if T in rule.roles else expected(rule, T, OWN)
    if scope == OTHER:
        if role in rule.special_other:
            return rule.special_other[role]
        if role in HEADQUARTERS:
            return expected(rule, role, OWN)
        return rule.outsider if role in rule.roles else rule.outsider_denied
    if role in rule.special:
        return rule.special[role]
    return 200 if role in rule.roles else rule.denied


def cells():
    for table in (ACCESS, API_WRITES):
        for name, rule in table.items():
            scopes = (OWN, OTHER) if rule.scoped else (OWN,)
            for scope in scopes:
                roles = [ANONYMOUS, *ROLE_USER] if scope == OWN else list(ROLE_USER)
                for role in roles:
                    marks = []
                    if (role, scope) in rule.xfail:
                        marks = [pytest.mark.xfail(strict=True, reason=rule.xfail[(role, scope)])]
                    yield pytest.param(
                        name, rule, role, scope, id=f"{rule.method}-{name}-{role}-{scope}", marks=marks
                    )
            if rule.scoped:
                marks = []
                if (T, OTHER_TECH) in rule.xfail:
                    marks = [pytest.mark.xfail(strict=True, reason=rule.xfail[(T, OTHER_TECH)])]
                yield pytest.param(
                    name, rule, T, OTHER_TECH, id=f"{rule.method}-{name}-technician-{OTHER_TECH}", marks=marks
                )


@pytest.fixture(scope="module")
def clients(world):
    """One logged-in client per user, sessions stored with the world (outside the tests' rollback)."""
    logged_in = {}
    for username in (*ROLE_USER.values(), OTHER_TECHNICIAN):
        client = Client()
        client.force_login(world.users[username])
        logged_in[username] = client
    logged_in[None] = Client()
    return logged_in


def _value(world, scope: str, key: str, username: str | None):
    if key.startswith("="):  # a literal, or a world value both branches share
        return world.own.get(key[1:], key[1:])
    objects = world.other if scope == OTHER else world.own
    if key == "notification":
        return (
            world.other["notification"]
            if scope == OTHER
            else world.own[f"notification:{username or 'dispatcher'}"]
        ).pk
    target, _dot, attribute = key.partition(".")
    value = objects[target]
    return getattr(value, attribute) if attribute else value.pk


def _query(world, rule: R) -> dict[str, int]:
    from accounts.models import Branch

    query = {}
    for param, source in rule.query.items():
        kind, _colon, name = source.partition(":")
        query[param] = world.users[name].pk if kind == "user" else Branch.objects.get(code=name).pk
    return query


def request(world, clients, name: str, rule: R, role: str, scope: str):
    username = OTHER_TECHNICIAN if scope == OTHER_TECH else ROLE_USER.get(role)
    kwargs = {kwarg: _value(world, scope, key, username) for kwarg, key in rule.objects.items()}
    client = clients[username]
    url = reverse(name, kwargs=kwargs)
    body = {field: _value(world, scope, key, username) for field, key in rule.body.items()}
    if rule.method == "PATCH":
        return client.patch(url, body, content_type="application/json")
    if rule.method == "DELETE":
        return client.delete(url)
    if rule.method == "POST":
        return client.post(url, body)
    return client.get(url, _query(world, rule))


@pytest.mark.django_db
@pytest.mark.parametrize("name, rule, role, scope", list(cells()))
def test_access(world, clients, name, rule, role, scope):
    response = request(world, clients, name, rule, role, scope)
    status = response.status_code
    if role == ANONYMOUS:
        if rule.public:
            assert status in ((400,) if rule.method == "POST" else (200,))
        elif rule.api:
            assert status in (401, 403)
        else:
            assert status == 302 and response.url.startswith("/login/")
        return
    want = expected(rule, role, scope)
    if rule.method != "GET" and want == 200:
        # Past the gates: a form error (200/400), a redirect back with a message, never a refusal.
        assert status not in (403, 404, 405) and status < 500, f"{role} refused: {status}"
    else:
        assert status == want


# --- the customer's session (issue #17) ---


@pytest.fixture(scope="module")
def customer_client(world):
    """A new browser signed in to the channel by the phone of the SH ticket's customer (as a code does):
    one per cell, since signing out ends it."""
    from customers.models import CustomerPhone

    number = "13700000017"
    for key in PORTAL_TICKETS:
        customer = world.own[key].customer
        assert customer != world.other[key].customer
        CustomerPhone.objects.get_or_create(customer=customer, number=number)
    assert not CustomerPhone.objects.filter(
        number=number, customer__in=[world.other[key].customer for key in PORTAL_TICKETS]
    ).exists()

    def signed_in() -> Client:
        client = Client()
        session = client.session
        session["portal"] = {"phone": number}
        session.save()
        return client

    return signed_in


def portal_cells():
    for name, rule in PORTAL.items():
        for who in (ANONYMOUS, *ROLE_USER, CUSTOMER):
            yield pytest.param(name, rule, who, OWN, id=f"{rule.method}-{name}-{who}-{OWN}")
        if rule.scoped:
            yield pytest.param(name, rule, CUSTOMER, OTHER, id=f"{rule.method}-{name}-{CUSTOMER}-{OTHER}")


@pytest.mark.django_db
@pytest.mark.parametrize("name, rule, who, scope", list(portal_cells()))
def test_portal_access(world, clients, customer_client, name, rule, who, scope):
    client = customer_client() if who == CUSTOMER else clients[ROLE_USER.get(who)]
    kwargs = {kwarg: _value(world, scope, key, None) for kwarg, key in rule.objects.items()}
    url = reverse(name, kwargs=kwargs)
    response = client.post(url) if rule.method == "POST" else client.get(url)
    status = response.status_code
    if who != CUSTOMER:
        if rule.signed_in:
            assert status == 302 and response.url.startswith("/p/login/")
        else:
            assert status == rule.others
    elif scope == OTHER:
        assert status == rule.other
    else:
        assert status == rule.customer
        if rule.method == "GET" and status == 200:
            assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


def staff_cells():
    for table in (ACCESS, API_WRITES):
        for name, rule in table.items():
            if not rule.public:
                yield pytest.param(name, rule, id=f"{rule.method}-{name}")


@pytest.mark.django_db
@pytest.mark.parametrize("name, rule", list(staff_cells()))
def test_every_staff_url_refuses_a_customer_session(world, customer_client, name, rule):
    """The customer's session is no login: every staff page sends it to the staff login, the API
    answers 401/403, as for somebody not signed in."""
    response = request(world, {None: customer_client()}, name, rule, ANONYMOUS, OWN)
    if rule.api:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, who",
    [
        pytest.param(name, who, id=f"{name}-{who}")
        for name in MACHINES
        for who in (ANONYMOUS, *ROLE_USER, CUSTOMER)
    ],
)
def test_machine_endpoint_access(world, clients, customer_client, name, who):
    if name == "readyz":  # ready needs the broker to answer, besides the database
        require(redis_answers(settings.CELERY_BROKER_URL), "Redis as the broker: CELERY_BROKER_URL=redis://…")
    client = customer_client() if who == CUSTOMER else clients[ROLE_USER.get(who)]
    assert client.get(reverse(name)).status_code == MACHINES[name]
