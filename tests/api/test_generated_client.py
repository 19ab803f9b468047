"""Acceptance of the API (issue #22): a client generated from `/api/schema` by openapi-python-client (as an
ERP, a CRM or a mobile app would make one) drives a whole repair against the live server, as each role
would: the dispatcher finds or creates the customer and unit, logs the call and dispatches it; the
technician checks in, fills the report and has it signed; the supervisor accepts; the dispatcher records
the follow-up call with the survey.

The client is generated afresh for each run into a temporary directory (never committed) and only its
models are used: a response that does not match the schema fails to parse (a missing field, a wrong type,
an undocumented status raises), and every answer is also checked whole against the schema's response
(the models let a number pass where the schema says text, or an optional field go missing), so the test
fails whenever the schema and the behaviour disagree.

The roles: the dispatcher, the technician, the supervisor, the warehouse keeper and the general manager,
each with their own token, each doing their own part (a refusal of another's part is in the error shape).
"""

from __future__ import annotations

import base64
import datetime
import importlib
import shutil
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import schemathesis
from django.utils import timezone

from accounts.models import Role
from parts import ledger
from parts.models import MovementKind
from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import require
from tests.customers.factories import ProductModelFactory
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory, signature_png
from warranty.models import WarrantyPolicy

PACKAGE = "aftersales_api_client"
BINARY_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
)


@pytest.fixture
def api_client_package(transactional_db, live_server, tmp_path_factory):
    """The package openapi-python-client generates from the live server's schema, imported (per test: the
    schema request needs the database, e.g. SQLite's session checks under `make run`)."""
    generator = shutil.which("openapi-python-client") or str(
        Path(sys.executable).parent / "openapi-python-client"
    )
    require(Path(generator).exists(), "openapi-python-client (pip install -e '.[dev]')")
    workdir = tmp_path_factory.mktemp("generated")
    with urllib.request.urlopen(f"{live_server.url}/api/schema?format=json") as response:
        (workdir / "schema.json").write_bytes(response.read())
    # PDFs (the voucher, the monthly report) and spreadsheets are binary downloads to the generator; no
    # formatter run on the output.
    (workdir / "config.yml").write_text(
        "post_hooks: []\ncontent_type_overrides:\n"
        + "".join(f"  {kind}: application/octet-stream\n" for kind in BINARY_TYPES)
    )
    result = subprocess.run(
        [
            generator,
            "generate",
            "--path",
            str(workdir / "schema.json"),
            "--config",
            str(workdir / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Generated:
    """The generated package's modules by their short names: `g.api("v1_tickets_create")`, `g.models`."""

    def __init__(self, package):
        self.package = package
        # The schema the package was generated from (beside it), to check every answer against it whole:
        # the models tolerate a missing optional field, the schema's response check does not.
        self.schema = schemathesis.openapi.from_path(Path(package.__file__).parent.parent / "schema.json")
        self.models = importlib.import_module(f"{package.__name__}.models")
        self.errors = importlib.import_module(f"{package.__name__}.errors")
        self.types = importlib.import_module(f"{package.__name__}.types")
        root = Path(package.__file__).parent / "api"
        self._modules = {
            path.stem: path.relative_to(root.parent).with_suffix("") for path in root.rglob("v1_*.py")
        }

    def api(self, name: str):
        return importlib.import_module(f"{self.package.__name__}." + ".".join(self._modules[name].parts))

    def client(self, base_url: str, token: str | None = None):
        if token is None:
            return self.package.Client(base_url=base_url, raise_on_unexpected_status=True)
        return self.package.AuthenticatedClient(
            base_url=base_url, token=token, prefix="Token", raise_on_unexpected_status=True
        )


def call(g: Generated, operation: str, *args, expect=None, **kwargs):
    """One operation through the generated client, with a fresh Idempotency-Key on writes; the parsed
    answer, checked to be the model the schema promises (`expect`), or the error model."""
    module = g.api(operation)
    signature = module.sync_detailed.__code__.co_varnames
    if "idempotency_key" in signature and "idempotency_key" not in kwargs:
        kwargs["idempotency_key"] = str(uuid.uuid4())
    response = module.sync_detailed(*args, **kwargs)
    answer = httpx.Response(
        response.status_code,
        headers=response.headers,
        content=response.content,
        request=httpx.Request("GET", f"http://testserver/{operation}"),
    )
    answer.elapsed = datetime.timedelta(0)
    g.schema.find_operation_by_id(operation).validate_response(answer)  # raises on any mismatch
    parsed = response.parsed
    if expect is not None:
        assert isinstance(parsed, expect), (operation, response.status_code, response.content[:500])
    return response


@pytest.fixture
def shop(reference_data, branch_a):
    policy = WarrantyPolicy.objects.get(slug="manufacturer")
    ProductModelFactory(code="KFR-35GW", name="壁挂式空调", warranty_policy=policy)
    users = {
        role: UserFactory(username=f"{role}_api", branch=branch_a, roles=[role])
        for role in (Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR)
    }
    return users


def every_page(g: Generated, operation: str, **kwargs) -> list:
    """Every row of a list, following its cursor (`next`) page after page as a client does."""
    rows, cursor = [], None
    while True:
        page = call(g, operation, **kwargs, **({"cursor": cursor} if cursor else {})).parsed
        rows += page.results
        if not page.next_:
            return rows
        (cursor,) = parse_qs(urlsplit(page.next_).query)["cursor"]


def token_for(g: Generated, base_url: str, username: str) -> str:
    answer = call(
        g,
        "v1_auth_token_create",
        client=g.client(base_url),
        body=g.models.AuthTokenRequest(username=username, password=PASSWORD),
        expect=g.models.TokenResponse,
    )
    return answer.parsed.token


@pytest.mark.django_db(transaction=True)
def test_a_whole_repair_through_the_generated_client(api_client_package, live_server, shop):
    g = Generated(api_client_package)
    m = g.models
    url = live_server.url
    clients = {role: g.client(url, token_for(g, url, user.username)) for role, user in shop.items()}
    dispatcher, technician, supervisor = (
        clients[r] for r in (Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR)
    )

    # The dispatcher searches the caller's number: nobody yet, so the customer and the unit are created.
    found = call(g, "v1_customers_list", client=dispatcher, q="138 0013 8000", expect=m.PaginatedCustomerList)
    assert found.parsed.results == []
    customer = call(
        g,
        "v1_customers_create",
        client=dispatcher,
        body=m.CustomerCreateRequest(
            name="王芳", phone="+86 138-0013-8000", address="上海市浦东新区张江路 1 号"
        ),
        expect=m.Customer,
    ).parsed
    assert customer.phones == ["13800138000"] and customer.branch == "SH"
    # Found again by the number in another form, and by a serial once the unit exists.
    again = call(g, "v1_customers_list", client=dispatcher, q="13800138000", expect=m.PaginatedCustomerList)
    assert [c.id for c in again.parsed.results] == [customer.id]
    unit = call(
        g,
        "v1_units_create",
        client=dispatcher,
        body=m.UnitCreateRequest(
            owner=customer.id,
            product_model="KFR-35GW",
            serial_number="sn-api-0001",
            # Under warranty: bought 100 days ago, with the place (§3 第十一条).
            purchase_date=timezone.localdate() - datetime.timedelta(days=100),
            purchase_place="京东自营",
        ),
        expect=m.Unit,
    ).parsed
    assert unit.serial_number == "SN-API-0001" and unit.owner == customer.id
    by_serial = call(g, "v1_customers_list", client=dispatcher, q="SN-API", expect=m.PaginatedCustomerList)
    assert [c.id for c in by_serial.parsed.results] == [customer.id]
    # A correction with history.
    call(
        g,
        "v1_customers_partial_update",
        customer.id,
        client=dispatcher,
        body=m.PatchedCustomerEditRequest(contact_person="王先生"),
        expect=m.Customer,
    )
    history = call(g, "v1_customers_changes_list", customer.id, client=dispatcher).parsed
    assert [change.changes[0]["field"] for change in history] == ["contact_person"]

    # The call, and the dispatch to the technician.
    ticket = call(
        g,
        "v1_tickets_create",
        client=dispatcher,
        body=m.TicketCreateRequest(
            unit=unit.id, fault_category=m.FaultCategoryEnum.APPLIANCE, fault_description="开机五分钟后停机"
        ),
        expect=m.Ticket,
    ).parsed
    assert ticket.state == m.TicketStateEnum.REPORTED
    read = call(g, "v1_tickets_retrieve", ticket.id, client=dispatcher, expect=m.TicketDetail)
    etag = read.headers["ETag"]
    assert etag == f'"{read.parsed.version}"'
    dispatched = call(
        g,
        "v1_tickets_transitions_create",
        ticket.id,
        "dispatch",
        client=dispatcher,
        body=m.TransitionRequest(technician=shop[Role.TECHNICIAN].pk),
        if_match=etag,
        expect=m.Ticket,
    ).parsed
    assert dispatched.state == m.TicketStateEnum.DISPATCHED
    # The technician's open jobs, a cursor page of two at a time: this one among the others, each once.
    TicketFactory.create_batch(
        2, unit__owner__branch=shop[Role.DISPATCHER].branch, dispatched=True, technician=shop[Role.TECHNICIAN]
    )
    jobs = every_page(
        g,
        "v1_tickets_list",
        client=technician,
        technician=shop[Role.TECHNICIAN].pk,
        state=m.V1TicketsListState.OPEN,
        ordering=m.V1TicketsListOrdering.REPORTED_AT,
        page_size=2,
    )
    assert len(jobs) == len({job.id for job in jobs}) == 3 and ticket.id in {job.id for job in jobs}
    # A write with the old ETag is refused with the one error shape.
    stale = call(
        g,
        "v1_tickets_transitions_create",
        ticket.id,
        "dispatch",
        client=dispatcher,
        body=m.TransitionRequest(technician=shop[Role.TECHNICIAN].pk),
        if_match=etag,
        expect=m.Error,
    )
    assert stale.status_code == 409 and stale.parsed.code == "conflict"

    # The technician on site: check in, the report, the customer's signature, done.
    call(
        g,
        "v1_tickets_transitions_create",
        ticket.id,
        "check_in",
        client=technician,
        body=m.TransitionRequest(),
        expect=m.Ticket,
    )
    report = call(
        g,
        "v1_tickets_report_partial_update",
        ticket.id,
        client=technician,
        body=m.PatchedServiceReportPatchRequest(
            idempotency_key=uuid.uuid4(),
            customer_account="空调开机五分钟后自动停机",
            usage_reading="约 1200 小时",
            previously_disassembled=False,
            findings="室外机电容鼓包",
            cause="电容老化",
            work_done="更换启动电容,试机正常",
            labour_hours="1.50",
        ),
        expect=m.ServiceReport,
    ).parsed
    assert report.missing == [] and not report.is_signed
    signature = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    signed = call(
        g,
        "v1_tickets_report_sign_create",
        ticket.id,
        client=technician,
        body=m.ReportSignatureRequest(signer_name="王芳", signature=signature, version=report.version),
        expect=m.ServiceReport,
    ).parsed
    assert signed.is_signed and signed.signer_name == "王芳"
    voucher = call(
        g, "v1_tickets_reports_voucher_retrieve", ticket.id, signed.id, client=dispatcher, expect=g.types.File
    )
    assert voucher.parsed.payload.read().startswith(b"%PDF")
    call(
        g,
        "v1_tickets_transitions_create",
        ticket.id,
        "complete_visit",
        client=technician,
        body=m.TransitionRequest(note="更换启动电容,试机正常"),
        expect=m.Ticket,
    )

    # The supervisor accepts; the dispatcher's follow-up call carries the survey and closes the ticket.
    accepted = call(
        g,
        "v1_tickets_transitions_create",
        ticket.id,
        "accept",
        client=supervisor,
        body=m.TransitionRequest(),
        expect=m.Ticket,
    ).parsed
    assert accepted.state == m.TicketStateEnum.ACCEPTED
    calls = call(
        g, "v1_follow_up_calls_list", client=dispatcher, ticket=ticket.id, expect=m.PaginatedFollowUpCallList
    )
    first = min(calls.parsed.results, key=lambda c: c.due_on)
    assert first.carries_survey and not first.survey_answered
    without_survey = call(
        g,
        "v1_follow_up_calls_record_create",
        first.id,
        client=dispatcher,
        body=m.CallRecordRequest(reached=True, satisfied=True),
        expect=m.Error,
    )
    assert without_survey.status_code == 400 and without_survey.parsed.field == "attitude"
    level = m.SurveyLevelEnum
    recorded = call(
        g,
        "v1_follow_up_calls_record_create",
        first.id,
        client=dispatcher,
        body=m.CallRecordRequest(
            reached=True,
            satisfied=True,
            survey=m.SurveyAnswersRequest(
                attitude=level.VALUE_4, skill=level.VALUE_4, punctuality=level.VALUE_3, promises=level.VALUE_4
            ),
        ),
        expect=m.FollowUpCall,
    ).parsed
    assert recorded.outcome == m.OutcomeEnum.REACHED and recorded.survey_answered
    # The survey reads back with the call, as a CRM would show it.
    assert (recorded.survey.attitude, recorded.survey.punctuality) == (level.VALUE_4, level.VALUE_3)
    closed = call(g, "v1_tickets_retrieve", ticket.id, client=supervisor, expect=m.TicketDetail).parsed
    assert closed.state == m.TicketStateEnum.CLOSED
    # The technician may not record calls: the screens' rule, in the API's error shape.
    refused = call(g, "v1_follow_up_calls_list", client=technician, expect=m.Error)
    assert refused.status_code == 403


@pytest.fixture
def stores(shop, branch_a, headquarters):
    """The branch's store with 5 compressors, the technician's van, its keeper, and the general manager at
    headquarters (who decides large claims)."""
    keeper = UserFactory(username="warehouse_api", branch=branch_a, roles=[Role.WAREHOUSE])
    general_manager = UserFactory(username="gm_api", branch=headquarters, roles=[Role.GENERAL_MANAGER])
    store = WarehouseFactory(code="SH-STORE", name="上海服务站仓库", branch=branch_a)
    van = WarehouseFactory(code="VAN-API", branch=branch_a, kind="van", technician=shop[Role.TECHNICIAN])
    compressor = PartFactory(code="CMP-35", name="压缩机")
    ledger.move([ledger.Change(compressor, store, 5)], kind=MovementKind.RECEIPT, actor=keeper, reference="T")
    return {"keeper": keeper, "gm": general_manager, "store": store, "van": van, "part": compressor}


@pytest.mark.django_db(transaction=True)
def test_a_large_claim_and_a_requisition_through_the_generated_client(
    api_client_package, live_server, shop, stores
):
    g = Generated(api_client_package)
    m = g.models
    url = live_server.url
    people = {**{role: user for role, user in shop.items()}, "keeper": stores["keeper"], "gm": stores["gm"]}
    clients = {who: g.client(url, token_for(g, url, user.username)) for who, user in people.items()}
    ticket = TicketFactory(
        unit__owner__branch=shop[Role.DISPATCHER].branch, dispatched=True, technician=shop[Role.TECHNICIAN]
    )

    # A claim above the small-claim limit (2,000 元 by default): the supervisor, then the general manager.
    photo = base64.b64encode(signature_png()).decode()
    claim = call(
        g,
        "v1_claims_create",
        client=clients[Role.DISPATCHER],
        body=m.ClaimCreateRequest(
            ticket=ticket.pk,
            kind=m.ClaimKindEnum.CASH,
            amount="3800.00",
            reason="维修延误造成客户损失",
            attachments=[m.AttachmentUploadRequest(name="现场.png", content_base64=photo)],
        ),
        expect=m.Claim,
    ).parsed
    assert claim.is_large and claim.status == m.ClaimStatusEnum.PENDING
    assert [level["role"] for level in claim.levels] == ["supervisor", "general_manager"]
    assert [a.kind for a in claim.attachments] == [m.AttachmentKindEnum.PHOTO]
    # Not the general manager's turn yet: the same rule as the approvals screen.
    early = call(
        g,
        "v1_claims_decide_create",
        claim.id,
        client=clients["gm"],
        body=m.DecisionRequest(approve=True, note="同意"),
        expect=m.Error,
    )
    assert early.status_code == 403
    first = call(
        g,
        "v1_claims_decide_create",
        claim.id,
        client=clients[Role.SUPERVISOR],
        body=m.DecisionRequest(approve=True, note="已与客户协商一致"),
        if_match=f'"{claim.version}"',
        expect=m.Claim,
    ).parsed
    assert first.status == m.ClaimStatusEnum.PENDING and first.awaiting_role == "general_manager"
    approved = call(
        g,
        "v1_claims_decide_create",
        claim.id,
        client=clients["gm"],
        body=m.DecisionRequest(approve=True, note="同意赔偿"),
        expect=m.Claim,
    ).parsed
    assert approved.status == m.ClaimStatusEnum.APPROVED
    assert [(a.role, a.decision) for a in approved.approvals] == [
        ("supervisor", m.DecisionEnum.APPROVE),
        ("general_manager", m.DecisionEnum.APPROVE),
    ]

    # A requisition: the technician asks, the supervisor approves, the keeper issues into the van.
    requisition = call(
        g,
        "v1_requisitions_create",
        client=clients[Role.TECHNICIAN],
        body=m.RequisitionCreateRequest(
            ticket=ticket.pk,
            warehouse="SH-STORE",
            reason="压缩机不启动,需更换",
            lines=[m.RequestedLineRequest(part="CMP-35", quantity=2)],
        ),
        expect=m.Requisition,
    ).parsed
    assert requisition.state == m.RequisitionStateEnum.SUBMITTED
    call(
        g,
        "v1_requisitions_decide_create",
        requisition.id,
        client=clients[Role.SUPERVISOR],
        body=m.RequisitionDecisionRequest(approve=True),
        expect=m.Requisition,
    )
    issued = call(
        g,
        "v1_requisitions_issue_create",
        requisition.id,
        client=clients["keeper"],
        body=m.RequisitionIssueRequest(lines=[m.IssuedLineRequest(line=requisition.lines[0].id, quantity=2)]),
        expect=m.Requisition,
    ).parsed
    assert issued.state == m.RequisitionStateEnum.ISSUED and issued.lines[0].issued == 2
    van = call(
        g, "v1_parts_my_van_list", client=clients[Role.TECHNICIAN], expect=m.PaginatedVanStockList
    ).parsed
    assert [(row.part.code, row.on_hand) for row in van.results] == [("CMP-35", 2)]

    # The month's figures: the general manager (every branch) and the supervisor (their own) read the
    # KPIs, with the approved claim in the warranty cost; the general manager exports the monthly report.
    month = f"{timezone.localdate():%Y-%m}"
    figures = call(g, "v1_kpis_retrieve", client=clients["gm"], month=month, expect=m.KpiReport).parsed
    assert figures.branch is None and figures.summary.warranty_claims == "3800.00"
    own = call(g, "v1_kpis_retrieve", client=clients[Role.SUPERVISOR], month=month, expect=m.KpiReport).parsed
    assert own.branch.code == "SH" and [row.name for row in own.by_branch] == ["上海分公司"]
    refused = call(g, "v1_kpis_retrieve", client=clients[Role.DISPATCHER], expect=m.Error)
    assert refused.status_code == 403
    report = call(g, "v1_monthly_report_retrieve", client=clients["gm"], month=month, expect=m.MonthlyReport)
    assert report.parsed.summary.warranty_cost == figures.summary.warranty_cost
    for operation, magic in (
        ("v1_monthly_report_pdf_retrieve", b"%PDF"),
        ("v1_monthly_report_xlsx_retrieve", b"PK"),
    ):
        download = call(g, operation, client=clients["gm"], month=month, expect=g.types.File)
        assert download.parsed.payload.read().startswith(magic)
