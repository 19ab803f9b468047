"""Checks shared by every upload (report photos, signatures, claim attachments, parts imports).

A file is judged by its content, never by its name or the type the browser declares; its size is
checked before anything is decoded, and an image's pixel count is read from its header before its
pixels are (a small PNG that claims 30000 × 30000 pixels is refused without allocating them).
`UploadRefused` carries the Chinese message the user sees. `file_response` is the one way a stored file
leaves the app, whatever the storage (disk or bucket), after the view's access check.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import uuid
import warnings
import zipfile
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from import_export.forms import ImportForm
from PIL import Image, ImageFile, ImageOps
from pypdf import PdfReader

from aftersales.errors import UserError

# 50 million pixels: a 48 MP phone photo (8000 × 6000) passes; decoded it is ~150 MB of RGB.
MAX_IMAGE_PIXELS = 50_000_000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
# An xlsx is a zip: what it unpacks to is bounded too (a zip bomb named .xlsx stays small on upload).
MAX_IMPORT_UNPACKED_BYTES = 100 * 1024 * 1024
# Excel on Chinese Windows saves "CSV" in GBK; GB18030 reads GBK and GB2312 and is a superset of both.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# Photos from the field and of claims: shrunk on the server to what a voucher or a review needs.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE = 1600
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Videos are kept as sent (not re-encoded); their type is read from the first bytes. MP4 and QuickTime
# files start with an `ftyp` box naming their brands; a brand of an image (HEIC, AVIF) or of sound is no video.
VIDEO_BRANDS = {
    b"qt  ": "mov",
    **dict.fromkeys(
        (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"mmp4", b"MSNV"),
        "mp4",
    ),
}
VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}


class UploadRefused(UserError):
    """The upload cannot be used; the message says why, in the user's language."""


def check_size(upload, max_bytes: int, message: str) -> None:
    if not upload.size:
        raise UploadRefused(_("文件是空的,请重新选择。"))
    if upload.size > max_bytes:
        raise UploadRefused(message)


def open_image(
    source, *, formats: Iterable[str], wrong_type: str, max_pixels: int = MAX_IMAGE_PIXELS
) -> Image.Image:
    """The decoded image, if `source` (a file or bytes) is one of `formats` by its content, not
    damaged and at most `max_pixels`; else UploadRefused (`wrong_type` when it is no such image)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process when it is imported (the
    # first PDF), after which a truncated photo would load with a grey band instead of being refused.
    # The PDFs only embed images that passed this check, so the process-wide flag stays off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():  # Pillow's own warning comes at 89 MP; our limit is lower
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source, formats=list(formats))
    except Image.DecompressionBombError as exc:
        raise UploadRefused(_too_many_pixels(max_pixels)) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of saying "not this"
        raise UploadRefused(wrong_type) from exc
    if image.width * image.height > max_pixels:
        raise UploadRefused(_too_many_pixels(max_pixels))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise UploadRefused(_("图片文件已损坏或不完整,请重新拍摄或选择。")) from exc
    return image


def _too_many_pixels(max_pixels: int) -> str:
    return _("图片尺寸过大:最多 %(limit)d 万像素(%(megapixels)d MP)。") % {
        "limit": max_pixels // 10_000,
        "megapixels": max_pixels // 1_000_000,
    }


def check_pdf(data: bytes, wrong_type: str) -> None:
    """A PDF by parsing it (pypdf): its cross-reference table, catalogue and page tree must read, with
    at least one page and no password. A file that only starts with %PDF- and ends with %%EOF, or
    a truncated one, is refused."""
    if not data.startswith(b"%PDF-"):
        raise UploadRefused(wrong_type)
    damaged = _("PDF 文件已损坏或不完整,请重新上传。")
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except (
        Exception
    ) as exc:  # pypdf fails on hostile input in many ways (PdfReadError, ValueError, KeyError…)
        raise UploadRefused(damaged) from exc
    if encrypted:
        raise UploadRefused(_("PDF 文件设置了密码,请上传没有密码的文件。"))
    if not pages:
        raise UploadRefused(damaged)


def check_xlsx(data: bytes) -> None:
    """An Excel workbook by its content: a zip holding xl/workbook.xml, not unpacking to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UploadRefused(_("该文件不是有效的 xlsx 工作簿,请上传导出的模板。")) from exc
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise UploadRefused(_("该文件不是有效的 xlsx 工作簿,请上传导出的模板。"))
    if sum(entry.file_size for entry in entries) > MAX_IMPORT_UNPACKED_BYTES:
        raise UploadRefused(_("工作簿解压后过大,请分成几个文件导入。"))


def read_import_file(upload) -> tuple[str, bytes | str]:
    """An xlsx or csv import file, checked: ("xlsx", the workbook's bytes) or ("csv", its text)."""
    name = (upload.name or "").lower()
    if not name.endswith((".xlsx", ".csv")):
        raise UploadRefused(_("只支持 xlsx 或 csv 文件。"))
    check_size(upload, MAX_IMPORT_BYTES, _("导入文件不能超过 10 MB,请分成几个文件导入。"))
    content = upload.read()
    upload.seek(0)
    if name.endswith(".xlsx"):
        check_xlsx(content)
        return "xlsx", content
    return "csv", decode_csv(content)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK/GB18030, as Excel saves it on Chinese Windows."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadRefused(_("无法识别 csv 文件的编码,请另存为 UTF-8 或 GBK 编码的 csv。"))


def prepare_photo(upload, *, field: str = "photo", wrong_type: str | None = None) -> tuple[ContentFile, str]:
    """Check type (by content) and size, turn the image upright and shrink it to ≤ 1600 px;
    (file, sha256). `wrong_type` is the message for a file that is no JPEG, PNG or WebP image; a
    refusal names `field`."""
    try:
        check_size(upload, MAX_PHOTO_BYTES, _("照片不能超过 10 MB。"))
        image = open_image(
            upload, formats=PHOTO_FORMATS, wrong_type=wrong_type or _("照片必须是 JPEG、PNG 或 WebP 图片。")
        )
    except UploadRefused as exc:
        raise UploadRefused(str(exc), field=field) from exc
    image_format = image.format
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 85} if image_format != "PNG" else {}))
    data = buffer.getvalue()
    name = f"{uuid.uuid4().hex}.{PHOTO_FORMATS[image_format]}"
    return ContentFile(data, name=name), hashlib.sha256(data).hexdigest()


def video_kind(head: bytes) -> str | None:
    """ "mp4", "mov" or "webm" by a file's first bytes (its magic), else None."""
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        brands = [head[8:12], *(head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4))]
        for brand in brands:
            if brand in VIDEO_BRANDS:
                return VIDEO_BRANDS[brand]
        return None
    # WebM is Matroska: an EBML header whose DocType element (0x4282) says "webm".
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"\x42\x82\x84webm" in head[:64]:
        return "webm"
    return None


def prepare_video(upload, *, field: str = "video") -> tuple[File, str]:
    """Check size (MAX_FAULT_VIDEO_BYTES, before reading) and type (MP4, MOV or WebM by content);
    (file under a new name, sha256). A refusal names `field`."""
    limit = settings.MAX_FAULT_VIDEO_BYTES
    try:
        check_size(upload, limit, _("视频不能超过 %(limit)d MB。") % {"limit": limit // (1024 * 1024)})
        upload.seek(0)
        kind = video_kind(upload.read(64))
        if kind is None:
            raise UploadRefused(_("视频必须是 MP4、MOV 或 WebM 格式。"))
    except UploadRefused as exc:
        raise UploadRefused(str(exc), field=field) from exc
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return File(upload, name=f"{uuid.uuid4().hex}.{kind}"), digest.hexdigest()


def video_response(file: FieldFile | None) -> HttpResponse:
    """A stored video (prepare_video named it by its kind), with its type; 404 when there is none."""
    if not file:
        raise Http404("No video")
    return file_response(file, content_type=VIDEO_TYPES[file.name.rsplit(".", 1)[-1]])


def file_response(
    file: FieldFile, *, content_type: str | None = None, filename: str | None = None
) -> HttpResponse:
    """A stored file for a user the view has just checked may see it, whatever the storage.

    With a bucket that signs its links (S3) and STORAGE_SIGNED_URL_SECONDS > 0: a redirect to a link
    that works for that many seconds, answering with this type and name; the redirect itself is not
    cached (a later look asks the app, and its access check, again). Otherwise the bytes stream through
    the app. The type is given by the caller or read from the stored name (which the server chose after
    checking the content), never from the uploader's file name."""
    content_type = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    name = filename or file.name.rsplit("/", 1)[-1]
    seconds = settings.STORAGE_SIGNED_URL_SECONDS
    if seconds > 0 and getattr(file.storage, "querystring_auth", False):
        link = file.storage.url(
            file.name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition_header(False, name),
            },
            expire=seconds,
        )
        response = HttpResponseRedirect(link)
        response["Cache-Control"] = "private, no-store"
        return response
    return FileResponse(file.open("rb"), content_type=content_type, filename=name)


class CheckedImportForm(ImportForm):
    """An admin import (django-import-export) refuses what the app's own import screens refuse: too
    big, or not the type its name says (read_import_file)."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            read_import_file(upload)
        except UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload
