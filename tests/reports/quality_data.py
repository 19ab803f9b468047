"""The quality analytics' October data set (tests/reports/test_quality.py, test_manufacturing.py)."""

from __future__ import annotations

from parts.models import Part
from tests.customers.factories import ProductModelFactory, UnitFactory
from tests.parts.factories import SupplierFactory
from tests.reports.factories import local, part_used
from tests.tickets.factories import ServiceReportFactory, TicketFactory
from tickets.models import FaultCode, State


def ticket(
    unit, *, reported, completed=None, code=None, cause="quality", state=None, visits=1, repeats=0, **kw
):
    state = state or (State.CLOSED if completed else State.REPORTED)
    return TicketFactory(
        unit=unit,
        reported_at=reported,
        completed_at=completed,
        fault_code=code,
        fault_cause=cause,
        state=state,
        assigned=state not in (State.REPORTED, State.CANCELLED),
        visit_count=visits,
        repeat_count=repeats,
        **kw,
    )


def october_quality(branch_a, branch_b):
    """Units in the field: KFR-35 batch B1 ×3 (one in HZ), B2 ×4; KFR-50 without batch ×4.

    Working hours are 08:30-12:00 and 13:30-17:30 on working days (12-16 October are Monday-Friday).
    """
    m1, m2 = ProductModelFactory(code="KFR-35", name="空调"), ProductModelFactory(code="KFR-50", name="柜机")
    e1 = FaultCode.objects.create(product_model=m1, code="E1", symptom="停机")
    e2 = FaultCode.objects.create(product_model=m1, code="E2", symptom="漏水")
    u1, u2 = (UnitFactory(product_model=m1, batch="B1", owner__branch=branch_a) for _ in range(2))
    u6 = UnitFactory(product_model=m1, batch="B1", owner__branch=branch_b)
    u3, *_more = (UnitFactory(product_model=m1, batch="B2", owner__branch=branch_a) for _ in range(4))
    u4, *_more = (UnitFactory(product_model=m2, batch="", owner__branch=branch_a) for _ in range(4))
    t = {}
    # September: u1's E1 fixed in one working hour.
    t[0] = ticket(u1, code=e1, reported=local(2026, 9, 28, 9), completed=local(2026, 9, 28, 10))
    # July: u4's fault fixed 87 days before t4 (a repeat within 90 days, not 30).
    t["4p"] = ticket(u4, reported=local(2026, 7, 15, 9), completed=local(2026, 7, 20, 10))
    # t1: u1's E1 again 14 days after t0 (repeat within 30 and 90); 2.0 working hours; first-time fix.
    t[1] = ticket(u1, code=e1, reported=local(2026, 10, 12, 9), completed=local(2026, 10, 12, 11))
    # t2: u2, E2, two visits (no first-time fix); 16:00-17:30 + 08:30-10:00 = 3.0 working hours.
    t[2] = ticket(u2, code=e2, reported=local(2026, 10, 12, 16), completed=local(2026, 10, 13, 10), visits=2)
    # t3: customer damage: reported, no failure; open.
    t[3] = ticket(u3, cause="customer", reported=local(2026, 10, 14, 9))
    # t4: reopened once (no first-time fix); 13:30-17:30 + 08:30-09:30 = 5.0 working hours (13:00 is lunch).
    t[4] = ticket(u4, reported=local(2026, 10, 15, 13), completed=local(2026, 10, 16, 9, 30), repeats=1)
    # t5: u2 again but E1, not t2's E2: no repeat.
    t[5] = ticket(u2, code=e1, reported=local(2026, 10, 20, 9))
    # t6: cancelled: not counted anywhere.
    t[6] = ticket(u1, code=e1, reported=local(2026, 10, 13, 9), state=State.CANCELLED)
    # t7: HZ, reported in October, completed in November.
    t[7] = ticket(u6, code=e1, reported=local(2026, 10, 14, 10), completed=local(2026, 11, 2, 10))
    # t8: 23:30 on 31 October is October's; t9 ten minutes into November is not.
    t[8] = ticket(u3, reported=local(2026, 10, 31, 23, 30))
    t[9] = ticket(u3, reported=local(2026, 11, 1, 0, 10))
    s1, s2 = SupplierFactory(name="甲电器"), SupplierFactory(name="乙电机")
    r1, r2 = ServiceReportFactory(ticket=t[1]), ServiceReportFactory(ticket=t[2])
    part_used(r1, code="P-CAP", cost="10", quantity=2, at=local(2026, 10, 12, 11))
    part_used(r2, code="P-CAP", cost="10", quantity=1, at=local(2026, 10, 13, 10))
    part_used(r2, code="P-FAN", cost="90", quantity=1, at=local(2026, 10, 13, 10))
    part_used(
        ServiceReportFactory(ticket=t[4]),
        code="P-FAN",
        cost="90",
        quantity=3,
        at=local(2026, 10, 16),
        status="outstanding",
    )
    part_used(ServiceReportFactory(ticket=t[7]), code="P-FAN", cost="90", quantity=5, at=local(2026, 11, 2))
    Part.objects.filter(code="P-CAP").update(supplier=s1)
    Part.objects.filter(code="P-FAN").update(supplier=s2)
    return t
