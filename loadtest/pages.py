"""What the soak's users read off the HTML pages: forms, links and the flash messages.

Kept apart from the locustfile (which imports locust, and so gevent's monkey-patching) so that the tests
can check these patterns against the pages the app renders today.
"""

from __future__ import annotations

import html
import re

from loadtest import fixtures

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MESSAGE = re.compile(r'class="alert alert-(\w+) alert-dismissible" role="alert">(.*?)<button', re.S)
ROW_FORM = re.compile(
    r'action="/tickets/(\d+)/do/(\w+)/"[^>]*>.*?name="version" value="(\d+)"', re.S
)  # a transition form and its version field
OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]*)</option>')
UNIT_LINK = re.compile(r'href="/tickets/new/\?unit=(\d+)"')
TICKET_LINK = re.compile(r'href="/tickets/(\d+)/"')
REQUISITION_LINK = re.compile(r'href="/parts/requisitions/(\d+)/"')
INBOX_REQUISITION = re.compile(r'href="/parts/requisitions/(\d+)/" data-testid="inbox-requisition"')
ISSUE_INPUT = re.compile(r'max="(\d+)" name="issue-(\d+)" value="(\d+)"')
STORE_OPTION = re.compile(rf'<option value="(\d+)"[^>]*>{re.escape(fixtures.STORE_NAME)}</option>')
UNIT_FIELD = re.compile(r'name="unit" value="(\d+)"')  # the call form, opened for a unit
REPORT_SCOPE = re.compile(r'data-outbox-scope="(report:\d+:\d+)"')  # the report the outbox's steps write
# The signature step: what the report needs before the customer signs ("fee payment_method" on a paid job).
SIGNATURE_NEEDS = re.compile(r'data-offline-signature data-scope="[^"]*" data-needs="([^"]*)"')
PRODUCT_MODEL_OPTION = re.compile(r'name="unit-product_model"[^>]*>.*?<option value="(\d+)"', re.S)


def messages(page: str) -> list[tuple[str, str]]:
    """The flash messages of a page: (level, text), level "success" or "danger"…"""
    return [
        (level, html.unescape(re.sub(r"\s+", " ", text)).strip()) for level, text in MESSAGE.findall(page)
    ]
