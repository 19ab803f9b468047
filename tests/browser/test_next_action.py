"""The ticket page's next action is on screen without scrolling (issue #16): every role, both
languages, the 1024×768 tablet and a 1366×768 laptop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.browser.support import log_in, switch_language
from tests.tickets.factories import TicketFactory
from tickets.models import State

pytestmark = pytest.mark.browser

VIEWPORTS = [{"width": 1024, "height": 768}, {"width": 1366, "height": 768}]
# The state in which each role has something to press on the ticket, and what (None: nothing waits
# for this role, and the bar says so beside the state and deadline).
WORK = {
    Role.DISPATCHER: (State.REPORTED, "dispatch"),
    Role.TECHNICIAN: (State.DISPATCHED, "check_in"),
    Role.SUPERVISOR: (State.AWAITING_ACCEPTANCE, "accept"),
    Role.WAREHOUSE: (State.ON_SITE, None),
    Role.FINANCE: (State.AWAITING_ACCEPTANCE, None),
    Role.MANAGER: (State.AWAITING_ACCEPTANCE, None),
    Role.GENERAL_MANAGER: (State.AWAITING_ACCEPTANCE, None),
    Role.ADMIN: (State.REPORTED, None),
}


@pytest.mark.parametrize("role", list(WORK))
def test_the_next_action_is_visible_without_scrolling(role, open_page, reference_data, branch_a):
    state, action = WORK[role]
    user = UserFactory(
        username=f"u_{role}", last_name="欧阳", first_name="明远", branch=branch_a, roles=[role]
    )
    UserFactory(username="tech_sh", branch=branch_a, roles=[Role.TECHNICIAN])
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        state=state,
        assigned=state != State.REPORTED,
        **({"technician": user} if role == Role.TECHNICIAN else {}),
    )
    page = open_page()
    log_in(page, user.username)
    for language in ("zh-hans", "en"):
        page.goto(f"/tickets/{ticket.pk}/")
        switch_language(page, language)
        for viewport in VIEWPORTS:
            page.set_viewport_size(viewport)
            page.goto(f"/tickets/{ticket.pk}/")
            expect(page.locator("html")).to_have_attribute("lang", language)
            where = f"{role}, {language}, {viewport['width']}×{viewport['height']}"
            expect(page.get_by_test_id("ticket-state"), where).to_be_in_viewport()
            if action:
                expect(page.locator(f"[data-action={action}]"), where).to_be_in_viewport()
            else:
                expect(page.get_by_test_id("nothing-waiting"), where).to_be_in_viewport()
