"""QR labels for a batch of serials (issue #17 item 2): the office pastes serials and gets an A4 PDF sheet;
each label's QR code, decoded from the PDF's own image (zxing-cpp), opens that unit's page in the channel."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from accounts.models import Role
from tests.customers.factories import UnitFactory
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

SERIALS = [f"LBL-{n:04d}" for n in range(1, 21)]


def decoded_labels(pdf: bytes) -> list[str]:
    texts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)).convert("L")):
                texts.append(code.text)
    return texts


def test_a_sheet_of_20_labels_whose_codes_open_each_units_page(client, persona, sms, customer, settings):
    settings.SITE_URL = "https://service.example.com"
    UnitFactory(owner=customer, serial_number="LBL-0007")
    client.force_login(persona(Role.DISPATCHER))
    assert client.get("/p/staff/labels/").status_code == 200
    response = client.post("/p/staff/labels/", {"serials": "\n".join(SERIALS + ["LBL-0003"])})  # a repeat
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1  # 20 labels on one A4 sheet
    urls = decoded_labels(pdf)
    assert urls == [f"https://service.example.com/p/u/{serial}/" for serial in SERIALS]
    # Scanned by the owner of LBL-0007: the unit's page in the channel (after the sign-in it asks for).
    client.logout()
    path = urls[6].removeprefix("https://service.example.com")
    assert client.get(path).url.startswith("/p/login/")
    sign_in(client, sms)
    page = client.get(path).content.decode()
    assert 'data-testid="portal-unit"' in page and "LBL-0007" in page


def test_what_is_no_serial_is_refused(client, persona):
    client.force_login(persona(Role.SUPERVISOR))
    response = client.post("/p/staff/labels/", {"serials": "LBL-1\n<script>\n"})
    assert response.status_code == 200 and "不是序列号:&lt;script&gt;" in response.content.decode()
    client.force_login(persona(Role.TECHNICIAN))
    assert client.post("/p/staff/labels/", {"serials": "LBL-1"}).status_code == 403


def test_serials_pasted_in_lower_case_or_with_chinese_punctuation_print_as_kept_on_file(client, persona):
    """Labels printed lower-case opened /p/u/lbl-0001/, which matches no unit (serials are kept upper-case);
    a list separated with ； or typed full width was refused whole."""
    client.force_login(persona(Role.DISPATCHER))
    response = client.post("/p/staff/labels/", {"serials": "lbl-0001；ＬＢＬ－０００２，LBL-0001"})
    assert response["Content-Type"] == "application/pdf", response.content.decode()
    assert [url.rsplit("/p/u/")[1] for url in decoded_labels(response.content)] == ["LBL-0001/", "LBL-0002/"]
