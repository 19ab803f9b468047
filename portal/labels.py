"""QR labels for a batch of serials (issue #17 item 2): an A4 sheet, 3 × 7 labels a page, each QR opening
the unit's page in the customer's channel (`/p/u/<serial>/`), for the factory or a dealer to stick on."""

from __future__ import annotations

import base64
import io
import re

import qrcode
from django.template.loader import render_to_string
from django.urls import reverse

MAX_LABELS = 210  # ten sheets
SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def parse_serials(text: str) -> tuple[list[str], list[str]]:
    """(serials in order without repeats, lines that are no serial) from what was pasted."""
    serials: list[str] = []
    wrong: list[str] = []
    for line in re.split(r"[\s,;,;]+", text):
        if not line:
            continue
        if not SERIAL.match(line):
            wrong.append(line)
        elif line not in serials:
            serials.append(line)
    return serials, wrong


def unit_url(base_url: str, serial: str) -> str:
    return base_url.rstrip("/") + reverse("portal:unit", args=[serial])


def qr_png(text: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def labels_pdf(serials: list[str], *, base_url: str, company_name: str) -> bytes:
    from weasyprint import HTML

    labels = [
        {
            "serial": serial,
            "url": unit_url(base_url, serial),
            "qr": "data:image/png;base64," + base64.b64encode(qr_png(unit_url(base_url, serial))).decode(),
        }
        for serial in serials
    ]
    html = render_to_string("portal/pdf/labels.html", {"labels": labels, "company_name": company_name})
    return HTML(string=html).write_pdf()
