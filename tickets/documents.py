"""Printable documents (DESIGN §8): HTML templates rendered to A4 PDF by WeasyPrint.

The CJK font comes from Debian (fonts-wqy-microhei, installed by scripts/system-packages.sh), so that
Chinese glyphs render, not boxes; images (the signature) are read from media storage by url_fetcher,
never over the network.
"""

from __future__ import annotations

import base64
import io
import mimetypes

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from tickets.models import GoodsRegisterEntry, ServiceReport


def _media_fetcher():
    """Serve `media:<name>` from the storage and `data:` URLs; refuse the rest (no network from a PDF)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class MediaFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("media:"):
                name = url.removeprefix("media:")
                with default_storage.open(name, "rb") as handle:
                    body = handle.read()
                content_type = mimetypes.guess_type(name)[0] or "image/png"
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"refusing to fetch {url!r} while rendering a PDF")

    return MediaFetcher(fail_on_errors=True)


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A PDF shown in the browser (its own viewer prints it), saved under `filename` if downloaded."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {"company_name": settings.COMPANY_NAME, **context})
    return HTML(string=html, url_fetcher=_media_fetcher(), base_url="media:").write_pdf()


def service_voucher_pdf(report: ServiceReport) -> bytes:
    """服务凭证/服务报告 of a signed report: the same data the customer signed, with its hash."""
    return render_pdf(
        "tickets/pdf/service_voucher.html",
        {
            "report": report,
            "ticket": report.ticket,
            "decision": report.ticket.warranty_decision,
            # 两人以上外出 (R1.two-people): the lead signs; the helpers sent with them are named too.
            "helpers": list(report.ticket.helpers.order_by("username")),
            "signed_at_local": timezone.localtime(report.signed_at),
        },
    )


def qr_data_url(text: str) -> str:
    """A QR code as a PNG data URL (the repair tag links to the ticket)."""
    import qrcode

    buffer = io.BytesIO()
    qrcode.make(text, box_size=6, border=2).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def pickup_receipt_pdf(entry: GoodsRegisterEntry) -> bytes:
    """客户商品领取收据: the customer's proof that the item is with us (void once it leaves)."""
    return render_pdf("tickets/pdf/pickup_receipt.html", {"entry": entry, "ticket": entry.ticket})


def repair_tag_pdf(entry: GoodsRegisterEntry, ticket_url: str) -> bytes:
    """修护卡: hangs on the item; its QR code opens the ticket."""
    return render_pdf(
        "tickets/pdf/repair_tag.html",
        {
            "entry": entry,
            "ticket": entry.ticket,
            "tag": entry.tag,
            "qr": qr_data_url(ticket_url),
            "url": ticket_url,
        },
    )
