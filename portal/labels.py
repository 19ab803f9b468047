"""QR labels for a batch of serials (issue #17 item 2): an A4 sheet, 3 × 7 labels a page, each QR opening
the unit's page in the customer's channel (`/p/u/<serial>/`), for the factory or a dealer to stick on."""

from __future__ import annotations

import re

from django.urls import reverse

from customers.models import normal_serial
from tickets.documents import qr_data_url, render_pdf

MAX_LABELS = 210  # ten sheets
SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def parse_serials(text: str) -> tuple[list[str], list[str]]:
    """(serials in order without repeats, lines that are no serial) from what was pasted."""
    serials: list[str] = []
    wrong: list[str] = []
    # Also the full-width comma and semicolon and the enumeration comma a Chinese input method types.
    for line in re.split(r"[\s,;\uff0c\uff1b\u3001]+", text):
        if not line:
            continue
        serial = normal_serial(line)  # as units keep it: ｌｂｌ－１ is LBL-1
        if not SERIAL.match(serial):
            wrong.append(line)
        elif serial not in serials:
            serials.append(serial)
    return serials, wrong


def unit_url(base_url: str, serial: str) -> str:
    return base_url.rstrip("/") + reverse("portal:unit", args=[serial])


def labels_pdf(serials: list[str], *, base_url: str) -> bytes:
    """The sheet, through the same renderer and QR code as the ticket documents (tickets.documents)."""
    labels = [
        {"serial": serial, "url": unit_url(base_url, serial), "qr": qr_data_url(unit_url(base_url, serial))}
        for serial in serials
    ]
    return render_pdf("portal/pdf/labels.html", {"labels": labels})
