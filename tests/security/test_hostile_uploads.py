"""Hostile uploads at every entry point that takes a file or a picture (pages and API): oversized,
wrongly typed, malformed images (truncated, a PNG header over random bytes, a decompression bomb),
malformed import files, empty files. Each is refused with a Chinese message naming the problem, and
nothing is half-saved: no row of any model the action writes, no file under MEDIA_ROOT.

Entry points (grep of FileField / request.FILES / data URLs): the report photo, the report signature,
the customer's fault photos and fault video (portal; PHOTO_CASES and VIDEO_CASES, tests/portal),
the signed addendum, the hand-over signature (page and API), a new claim's attachments, more
attachments on a claim, the parts catalogue import, the stock-count import, the Django admin's
catalogue import (django-import-export), and the call book import (tickets.callbook).
"""

from __future__ import annotations

import base64
import io
import os
import struct
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter
from rest_framework.test import APIClient

from accounts.models import Role
from claims.models import Claim, ClaimAttachment
from customers.models import ImportBatch
from notifications.models import Notification
from parts.models import Part, StockMovement
from tests.api_errors import error_message
from tests.claims.test_claims import file_claim, pdf_upload, png_upload
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import COMPLETE_REPORT, TicketFactory, signature_png
from tickets.models import (
    GoodsRegisterEntry,
    PickupReceipt,
    RepairTicket,
    ServiceReport,
    ServiceReportAddendum,
    ServiceReportPhoto,
    TicketEvent,
)
from tickets.return_services import FactoryRepair, GoodsIn, approve_return, finish_factory_repair

MB = 1024 * 1024

# --- hostile payloads ----------------------------------------------------------------------------------


def jpeg(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few hundred bytes whose header claims width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * (width * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


ELF = b"\x7fELF\x02\x01\x01\x00" + os.urandom(4000)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PNG_HEADER_OVER_RANDOM = b"\x89PNG\r\n\x1a\n" + os.urandom(4000)
BOMB = png_claiming(30000, 30000)
TRUNCATED_JPEG = jpeg()[:3000]


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_upload().read()))
    writer.encrypt("mima")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


ENCRYPTED_PDF = encrypted_pdf()
EMPTY_FILE = "提交的是空文件"  # Django's own message for an empty upload, in Chinese


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    content: bytes
    message: str  # what the refusal must say

    def upload(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.content, content_type="application/octet-stream")


PHOTO_TYPES = "JPEG、PNG 或 WebP"
ATTACHMENT_TYPES = "JPEG、PNG、WebP 图片或 PDF"
DAMAGED = "已损坏或不完整"
PIXELS = "图片尺寸过大:最多 5000 万像素"


def image_cases(types: str) -> list[Case]:
    return [
        Case("oversized", "big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (10 * MB), "超过 10 MB"),
        Case("html-named-jpg", "photo.jpg", HTML, types),
        Case("executable-named-png", "photo.png", ELF, types),
        Case("truncated-jpeg", "photo.jpg", TRUNCATED_JPEG, DAMAGED),
        Case("png-header-random-bytes", "photo.png", PNG_HEADER_OVER_RANDOM, types),
        Case("decompression-bomb", "bomb.png", BOMB, PIXELS),
        Case("empty", "empty.jpg", b"", EMPTY_FILE),
    ]


PHOTO_CASES = [
    *image_cases(PHOTO_TYPES),
    Case("pdf-where-image-expected", "photo.jpg", pdf_upload().read(), PHOTO_TYPES),
]
ATTACHMENT_CASES = [
    *image_cases(ATTACHMENT_TYPES),
    Case(
        "truncated-pdf",
        "协议.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\n" + os.urandom(500),
        "PDF 文件已损坏或不完整",
    ),
    # The first and last bytes of a PDF and nothing of one between them (accepted before issue #15).
    Case(
        "pdf-header-and-eof-only",
        "协议.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        "PDF 文件已损坏或不完整",
    ),
    Case("encrypted-pdf", "协议.pdf", ENCRYPTED_PDF, "PDF 文件设置了密码"),
]


def mp4_header(brand: bytes = b"isom", compatible: bytes = b"isomiso2avc1mp41") -> bytes:
    """The start of an MP4 file as a phone writes it: an `ftyp` box (major brand, minor version,
    compatible brands) and an empty `mdat` box."""
    ftyp = brand + b"\0\0\2\0" + compatible
    return struct.pack(">I", 8 + len(ftyp)) + b"ftyp" + ftyp + struct.pack(">I", 8) + b"mdat"


VIDEO_TYPES = "视频必须是 MP4、MOV 或 WebM 格式"
VIDEO_CASES = [
    # One byte over the limit (settings.MAX_FAULT_VIDEO_BYTES, 30 MB), refused before it is read.
    Case(
        "oversized", "big.mp4", mp4_header() + b"\0" * (30 * MB + 1 - len(mp4_header())), "视频不能超过 30 MB"
    ),
    Case("text-named-mp4", "fault.mp4", "这不是视频,只是改了名字的文本。\n".encode() * 20, VIDEO_TYPES),
    Case("html-named-mov", "fault.mov", HTML, VIDEO_TYPES),
    Case("executable-named-webm", "fault.webm", ELF, VIDEO_TYPES),
    # An HEIC photo is an `ftyp` box too, of an image brand.
    Case("heic-photo-named-mp4", "fault.mp4", mp4_header(b"heic", b"mif1heicmiaf"), VIDEO_TYPES),
    Case("empty", "empty.mp4", b"", EMPTY_FILE),
]


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


NOT_XLSX = "不是有效的 xlsx 工作簿"
IMPORT_CASES = [
    Case("oversized", "parts.csv", b"a" * (10 * MB + 1), "不能超过 10 MB"),
    Case("html-named-xlsx", "parts.xlsx", HTML, NOT_XLSX),
    Case("executable-named-xlsx", "parts.xlsx", ELF, NOT_XLSX),
    Case("random-bytes-named-xlsx", "parts.xlsx", os.urandom(5000), NOT_XLSX),
    Case("zip-that-is-no-xlsx", "parts.xlsx", zipped({"readme.txt": b"hello"}), NOT_XLSX),
    Case(
        "zip-bomb-named-xlsx",
        "parts.xlsx",
        zipped({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (101 * MB)}),
        "解压后过大",
    ),
    Case("executable-named-exe", "parts.exe", ELF, "只支持 xlsx 或 csv"),
    Case("binary-named-csv", "parts.csv", b"\0" * 100 + ELF, "无法识别 csv 文件的编码"),
    Case("empty", "parts.csv", b"", EMPTY_FILE),
]


def data_url(png: bytes, prefix: str = "data:image/png;base64,") -> str:
    return prefix + base64.b64encode(png).decode()


@dataclass(frozen=True)
class SignatureCase:
    id: str
    value: str
    message: str


def jpeg_small() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 150), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


SIGNATURE_CASES = [
    SignatureCase("oversized", data_url(b"\x89PNG\r\n\x1a\n" + os.urandom(MB + 1)), "签名图片过大"),
    SignatureCase("jpeg-as-png", data_url(jpeg_small()), "签名图片无法识别"),
    SignatureCase("html-as-png", data_url(HTML), "签名图片无法识别"),
    SignatureCase("truncated-png", data_url(signature_png()[:600]), DAMAGED),
    SignatureCase("png-header-random-bytes", data_url(PNG_HEADER_OVER_RANDOM), "签名图片无法识别"),
    SignatureCase("decompression-bomb", data_url(BOMB), "图片尺寸过大:最多 800 万像素"),
    SignatureCase(
        "144-megapixels-below-pillows-own-limit", data_url(png_claiming(12000, 12000)), "最多 800 万像素"
    ),
    SignatureCase("not-base64", "data:image/png;base64,@@@not base64@@@", "请客户在签字框内签名"),
    SignatureCase("other-scheme", "javascript:alert(1)", "请客户在签字框内签名"),
    SignatureCase("empty", "", "请客户在签字框内签名"),
]


# --- what "nothing half-saved" means ------------------------------------------------------------------


def media_files(settings) -> set[str]:
    root = str(settings.MEDIA_ROOT)
    return {os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files}


def snapshot(settings, models) -> tuple:
    return tuple(model.objects.count() for model in models), media_files(settings)


def page_text(response) -> str:
    return response.content.decode()


# --- entry points ---------------------------------------------------------------------------------------


@pytest.fixture
def on_site(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, unit__owner__name="张伟", on_site=True, visit_count=1)


@pytest.fixture
def complete_report(on_site):
    from tickets.report_services import save_report

    save_report(
        ticket_id=on_site.pk,
        user=on_site.technician,
        idempotency_key=uuid.uuid4(),
        expected_version=None,
        changes=COMPLETE_REPORT,
    )
    return on_site


@pytest.fixture
def awaiting_pickup(branch_a, supervisor):
    ticket = TicketFactory(unit__owner__branch=branch_a, unit__owner__name="张伟", rma_requested=True)
    approve_return(ticket_id=ticket.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn())
    finish_factory_repair(
        ticket_id=ticket.pk,
        user=ticket.technician,
        expected_version=RepairTicket.objects.get(pk=ticket.pk).version,
        repair=FactoryRepair("更换主板", Decimal("2"), "主板", "合格", supervisor),
    )
    return RepairTicket.objects.get(pk=ticket.pk)


@pytest.mark.django_db
class TestImages:
    @pytest.mark.parametrize("case", PHOTO_CASES, ids=lambda case: case.id)
    def test_report_photo_page(self, client, settings, complete_report, case):
        import weasyprint.images  # noqa: F401 (turns on Pillow's LOAD_TRUNCATED_IMAGES, as the first PDF does)

        on_site = complete_report
        client.force_login(on_site.technician)
        before = snapshot(settings, [ServiceReportPhoto])
        response = client.post(
            reverse("tickets:report_add_photo", args=[on_site.pk]), {"photo": case.upload()}
        )
        assert response.status_code == 400
        assert case.message in page_text(response)
        assert snapshot(settings, [ServiceReportPhoto]) == before

    @pytest.mark.parametrize("case", ATTACHMENT_CASES, ids=lambda case: case.id)
    def test_new_claim_page(self, client, settings, dispatcher, on_site, case):
        client.force_login(dispatcher)
        models = [Claim, ClaimAttachment, Notification]
        before = snapshot(settings, models)
        response = client.post(
            reverse("claims:claim_new", args=[on_site.pk]),
            {
                "kind": "cash",
                "amount": "10",
                "reason": "压缩机异响",
                "attachments": [png_upload(), case.upload()],
            },
        )
        assert response.status_code == 200
        assert case.message in page_text(response)
        assert snapshot(settings, models) == before

    @pytest.mark.parametrize("case", ATTACHMENT_CASES, ids=lambda case: case.id)
    def test_claim_attach_page(self, client, settings, dispatcher, on_site, case):
        claim = file_claim(dispatcher, on_site, "300")
        client.force_login(dispatcher)
        before = snapshot(settings, [ClaimAttachment])
        response = client.post(
            reverse("claims:claim_attach", args=[claim.pk]),
            {"attachments": [png_upload(), case.upload()]},
            follow=True,
        )
        assert response.status_code == 200
        message = "文件是空的" if case.id == "empty" else case.message  # no form here: the service says it
        assert message in page_text(response)
        assert snapshot(settings, [ClaimAttachment]) == before


@pytest.mark.django_db
class TestSignatures:
    @pytest.mark.parametrize("case", SIGNATURE_CASES, ids=lambda case: case.id)
    def test_report_sign_page(self, client, settings, complete_report, case):
        ticket = complete_report
        client.force_login(ticket.technician)
        models = [TicketEvent]
        before = snapshot(settings, models)
        response = client.post(
            reverse("tickets:report_sign", args=[ticket.pk]), {"signer_name": "张伟", "signature": case.value}
        )
        assert response.status_code == 400
        assert case.message in page_text(response)
        assert snapshot(settings, models) == before
        assert not ServiceReport.objects.filter(ticket=ticket, signed_at__isnull=False).exists()

    @pytest.mark.parametrize("case", SIGNATURE_CASES, ids=lambda case: case.id)
    def test_addendum_page(self, client, settings, branch_a, case):
        ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, signed_report=True)
        client.force_login(ticket.technician)
        before = snapshot(settings, [ServiceReportAddendum])
        response = client.post(
            reverse("tickets:report_addendum", args=[ticket.pk]),
            {
                "idempotency_key": "8d6f4a40-0d6f-4c39-9b83-6b1c0b8a9a11",
                "text": "补充:客户要求保留旧电容",
                "signer_name": "张伟",
                "signature": case.value,
            },
            follow=True,
        )
        assert case.message in page_text(response)
        assert snapshot(settings, [ServiceReportAddendum]) == before

    @pytest.mark.parametrize("case", SIGNATURE_CASES, ids=lambda case: case.id)
    def test_hand_over_page(self, client, settings, dispatcher, awaiting_pickup, case):
        ticket = awaiting_pickup
        client.force_login(dispatcher)
        models = [TicketEvent, GoodsRegisterEntry]
        before = snapshot(settings, models)
        response = client.post(
            reverse("tickets:return_hand_over", args=[ticket.pk]),
            {"version": ticket.version, "signer_name": "张伟", "signature": case.value},
            follow=True,
        )
        assert case.message in page_text(response)
        assert snapshot(settings, models) == before
        assert not PickupReceipt.objects.get(entry__ticket=ticket).is_void

    @pytest.mark.parametrize("case", SIGNATURE_CASES, ids=lambda case: case.id)
    def test_hand_over_api(self, settings, dispatcher, awaiting_pickup, case):
        ticket = awaiting_pickup
        api = APIClient()
        api.force_authenticate(dispatcher)
        before = snapshot(settings, [TicketEvent])
        response = api.post(
            f"/api/v1/tickets/{ticket.pk}/transitions/hand_over",
            {"version": ticket.version, "signer_name": "张伟", "signature": case.value},
            format="json",
        )
        assert response.status_code == 400
        assert case.message in error_message(response, "signature")
        assert snapshot(settings, [TicketEvent]) == before
        assert not PickupReceipt.objects.get(entry__ticket=ticket).is_void


# --- imports --------------------------------------------------------------------------------------------

CATALOGUE_HEADERS = [
    "配件编号",
    "配件名称",
    "规格型号",
    "单位",
    "适用产品型号",
    "成本价",
    "市场价",
    "供应商代码",
]
COUNT_HEADERS = ["仓库代码", "配件编号", "配件名称", "账面数量", "实盘数量"]


@pytest.fixture
def keeper(persona):
    return persona(Role.WAREHOUSE)


@pytest.fixture
def store(branch_a):
    return WarehouseFactory(code="SH-STORE", name="上海服务站仓库", branch=branch_a)


def import_url(kind: str) -> str:
    return reverse({"catalogue": "parts:catalogue_import", "counts": "parts:counts_import"}[kind])


@pytest.mark.django_db
class TestImports:
    @pytest.mark.parametrize("kind", ["catalogue", "counts"])
    @pytest.mark.parametrize("confirm", [False, True], ids=["dry-run", "confirm"])
    @pytest.mark.parametrize("case", IMPORT_CASES, ids=lambda case: case.id)
    def test_import_page(self, client, settings, keeper, store, kind, confirm, case):
        client.force_login(keeper)
        models = [Part, StockMovement]
        before = snapshot(settings, models)
        data = {"file": case.upload(), **({"confirm": "1"} if confirm else {})}
        response = client.post(import_url(kind), data)
        assert response.status_code == 200
        assert case.message in page_text(response)
        assert snapshot(settings, models) == before

    @pytest.mark.parametrize("kind", ["catalogue", "counts"])
    def test_a_csv_without_its_headers_imports_nothing(self, client, keeper, store, kind):
        PartFactory(code="CMP-35")
        client.force_login(keeper)
        rows = tablib.Dataset(("SH-STORE", "CMP-35", "压缩机", "0", "5"), headers=["a", "b", "c", "d", "e"])
        before = (Part.objects.count(), StockMovement.objects.count())
        page = page_text(client.post(import_url(kind), {"file": upload_csv(rows), "confirm": "1"}))
        assert "未导入任何数据" in page and "配件编号" in page
        assert (Part.objects.count(), StockMovement.objects.count()) == before

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
    def test_a_csv_from_excel_on_chinese_windows_gbk_imports_like_utf8(self, client, keeper, encoding):
        client.force_login(keeper)
        rows = tablib.Dataset(
            ("CMP-35", "压缩机", "1.5匹", "台", "", "850.00", "1280.00", ""), headers=CATALOGUE_HEADERS
        )
        client.post(import_url("catalogue"), {"file": upload_csv(rows, encoding=encoding), "confirm": "1"})
        assert list(Part.objects.values_list("name", "specification")) == [("压缩机", "1.5匹")]

    def test_a_hostile_file_name_is_neither_a_path_nor_too_long_for_the_ledger(self, client, keeper, store):
        """The file name goes into each adjustment's reason (200 characters at most)."""
        part = PartFactory(code="CMP-35")
        client.force_login(keeper)
        for name, counted in (("../../etc/passwd.csv", "5"), ("盘" * 300 + ".csv", "7")):
            rows = tablib.Dataset((store.code, part.code, part.name, "0", counted), headers=COUNT_HEADERS)
            page = page_text(
                client.post(import_url("counts"), {"file": upload_csv(rows, name=name), "confirm": "1"})
            )
            assert "已导入 1 行" in page
        reasons = list(StockMovement.objects.order_by("pk").values_list("reason", flat=True))
        assert reasons[0] == "盘点导入:passwd.csv"  # Django keeps the base name only
        assert reasons[1] == "盘点导入:" + "盘" * 100


def upload_csv(
    dataset: tablib.Dataset, *, encoding: str = "utf-8", name: str = "parts.csv"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, dataset.export("csv").encode(encoding), content_type="text/csv")


@pytest.mark.django_db
class TestCallbookImport:
    """The call book's upload (issue #21 item 3) refuses what the other imports refuse, before any batch is
    made; its size limit is its own (tickets.callbook.MAX_CALLBOOK_BYTES, lowered here)."""

    @pytest.mark.parametrize("case", IMPORT_CASES, ids=lambda case: case.id)
    def test_upload(self, client, settings, persona, headquarters, branch_a, monkeypatch, case):
        monkeypatch.setattr("tickets.callbook.MAX_CALLBOOK_BYTES", 10 * MB)
        client.force_login(persona(Role.ADMIN, branch=headquarters))
        response = client.post(reverse("tickets:callbook"), {"file": case.upload(), "branch": branch_a.pk})
        assert response.status_code == 200
        assert case.message in page_text(response)
        assert not ImportBatch.objects.exists()


@pytest.mark.django_db
class TestAdminImport:
    """django-import-export's admin import of the catalogue (superusers): the same checks as the
    catalogue screen, and only csv and xlsx are offered."""

    @pytest.fixture
    def admin_client(self, client, persona):
        user = persona(Role.ADMIN, username="root")
        user.is_staff = user.is_superuser = True
        user.save()
        client.force_login(user)
        return client

    def test_only_csv_and_xlsx_are_offered(self, admin_client):
        page = page_text(admin_client.get(reverse("admin:parts_part_import")))
        assert ">csv<" in page and ">xlsx<" in page
        for other in (">yaml<", ">json<", ">html<", ">tsv<"):
            assert other not in page

    @pytest.mark.parametrize("case", IMPORT_CASES, ids=lambda case: case.id)
    def test_admin_import(self, admin_client, settings, case):
        fmt = "1" if case.name.endswith(".xlsx") else "0"
        before = snapshot(settings, [Part])
        response = admin_client.post(
            reverse("admin:parts_part_import"), {"resource": "0", "format": fmt, "import_file": case.upload()}
        )
        assert response.status_code == 200
        assert case.message in page_text(response)
        assert snapshot(settings, [Part]) == before


# --- stored names and served files ----------------------------------------------------------------------


@pytest.mark.django_db
class TestStoredNames:
    @pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "..\\..\\boot.ini.jpg", "照" * 300 + ".jpg"])
    def test_photo_names_come_from_the_server(self, client, settings, complete_report, name):
        on_site = complete_report
        client.force_login(on_site.technician)
        upload = SimpleUploadedFile(name, jpeg(), content_type="image/jpeg")
        client.post(reverse("tickets:report_add_photo", args=[on_site.pk]), {"photo": upload})
        photo = ServiceReportPhoto.objects.get()
        stored = os.path.realpath(photo.image.path)
        assert stored.startswith(os.path.realpath(settings.MEDIA_ROOT) + os.sep)
        assert (
            ".." not in photo.image.name and "passwd" not in photo.image.name and "照" not in photo.image.name
        )

    @pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "x" * 300 + ".pdf"])
    def test_claim_attachment_names_are_kept_as_text_only(self, settings, dispatcher, on_site, name):
        claim = file_claim(dispatcher, on_site, "10", uploads=[pdf_upload(name)])
        attachment = claim.attachments.get()
        assert os.path.realpath(attachment.file.path).startswith(
            os.path.realpath(settings.MEDIA_ROOT) + os.sep
        )
        assert ".." not in attachment.file.name and len(attachment.original_name) <= 200

    def test_a_pdf_named_html_is_served_as_a_pdf(self, client, dispatcher, on_site):
        claim = file_claim(dispatcher, on_site, "10", uploads=[pdf_upload("页面.html")])
        client.force_login(dispatcher)
        response = client.get(reverse("claims:claim_attachment", args=[claim.pk, claim.attachments.get().pk]))
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_uploaded_files_are_not_served_without_login(self, client, dispatcher, on_site):
        claim = file_claim(dispatcher, on_site, "10", uploads=[png_upload()])
        url = reverse("claims:claim_attachment", args=[claim.pk, claim.attachments.get().pk])
        assert client.get(url).status_code == 302  # to the login page
        media_url = "/media/" + claim.attachments.get().file.name
        assert client.get(media_url).status_code == 404  # MEDIA_ROOT itself is not served
