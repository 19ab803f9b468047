"""What every API operation shares: one error shape, list conventions (cursor pagination, ordering,
sparse fields), ticket ETags / If-Match, and the schema hooks.

Errors (every status ≥ 400): `{"code": …, "message": …, "field": … | null, "errors": [{code, message,
field}, …]}` — `message` in the caller's language (Accept-Language, aftersales.middleware), the first
error repeated at the top, every error of a validation in `errors`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from aftersales.errors import Conflict, UserError


def _flatten(detail, field: str | None = None) -> list[dict]:
    """DRF's nested error detail (dicts of lists of ErrorDetail) as a flat list of {code, message, field}."""
    if isinstance(detail, dict):
        errors = []
        for name, value in detail.items():
            name = None if name in ("non_field_errors", "detail", "__all__") else name
            errors.extend(_flatten(value, f"{field}.{name}" if field and name else (name or field)))
        return errors
    if isinstance(detail, list):
        return [error for item in detail for error in _flatten(item, field)]
    return [{"code": getattr(detail, "code", None) or "invalid", "message": str(detail), "field": field}]


def error_body(errors: list[dict]) -> dict:
    first = errors[0] if errors else {"code": "error", "message": _("请求无法处理。"), "field": None}
    return {**first, "errors": errors}


def error_response(message: str, *, code: str, status_code: int, field: str | None = None) -> Response:
    return Response(error_body([{"code": code, "message": message, "field": field}]), status=status_code)


def exception_handler(exc, context):
    """DRF's handler, plus the app's own errors (`UserError` 400 under its field, `Conflict` 409, a
    service's PermissionDenied 403, Http404 404), every answer in the one error shape."""
    if isinstance(exc, UserError):
        conflict = isinstance(exc, Conflict)
        return error_response(
            str(exc),
            code="conflict" if conflict else "invalid",
            field=exc.field,
            status_code=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(_flatten(exc.detail))
    return response


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
GUARDED_WRITE = (
    "A UUID made by the client once per intent (accounts/idempotency.py). The same key with the same body "
    "returns the first answer without writing again (a resend after a lost answer); the same key with "
    "another body, path or user is refused with 409. Without it the write is carried out unguarded."
)
NOT_REPLAYED = (
    "Accepted and not used: this operation writes nothing a resend could double (a read sent as POST, a "
    "new secret that is never stored to be replayed, a revocation), so it is not replayed."
)


class AutoSchema(SpectacularAutoSchema):
    """Every API write declares the `Idempotency-Key` header (one write per intent, issue #14), in one
    place so that a new write view cannot leave it out; it says whether the operation replays a resend
    (its handler is `@idempotent`) or has nothing to replay."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method not in WRITE_METHODS:
            return parameters
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        header = OpenApiParameter(
            name=IDEMPOTENCY_HEADER,
            type=OpenApiTypes.UUID,
            location=OpenApiParameter.HEADER,
            required=False,
            description=GUARDED_WRITE if getattr(handler, "idempotent", False) else NOT_REPLAYED,
        )
        return [*parameters, header]


def form_errors(form) -> exceptions.ValidationError:
    """A Django form's errors as the API's 400 (the same messages as the screen's)."""
    return exceptions.ValidationError(
        {
            name: [
                exceptions.ErrorDetail(e.message % (e.params or {}), code=e.code or "invalid") for e in errs
            ]
            for name, errs in form.errors.as_data().items()
        }
    )


def object_id(pk) -> int:
    """A URL's id as a database id; anything else (a word, 10**30) is an object that does not exist."""
    try:
        value = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if not 1 <= value <= 2_147_483_647:
        raise Http404
    return value


class BodyFirstMixin:
    """Parse a write's body before the view looks anything up: a malformed body (JSON nested 5,000 deep)
    is the same 400 on every operation, whatever the id in the path."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            request.data  # noqa: B018 - parsing is the point


class RequiredBooleanField(serializers.BooleanField):
    """A yes/no the caller must state: missing is an error also in a form-encoded body (DRF reads a
    missing form checkbox as False, and "not reached" would have been recorded)."""

    default_empty_html = serializers.empty


# --- lists ---


class Cursor(CursorPagination):
    """Cursor pagination (`?cursor=…`, `next`/`previous` links): stable while rows are added, no COUNT.
    `?ordering=` picks one of the view's `ordering_fields` (`-` for descending)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        allowed = getattr(view, "ordering_fields", ())
        wanted = request.query_params.get("ordering", "")
        if wanted.lstrip("-") not in allowed:
            wanted = getattr(view, "default_ordering", self.ordering)
        if wanted.lstrip("-") == "pk":
            return (wanted,)
        # The primary key breaks ties (many calls are due on one day), so the cursor's position is unique:
        # a row is never shown on two pages nor skipped.
        return (wanted, "-pk" if wanted.startswith("-") else "pk")


def ordering_parameter(*fields: str) -> OpenApiParameter:
    choices = [option for name in fields for option in (name, f"-{name}")]
    return OpenApiParameter("ordering", str, enum=choices, description="sort order (`-` descending)")


FIELDS_PARAMETER = OpenApiParameter(
    "fields", str, description="sparse fields: a comma-separated list of the fields wanted (default: all)"
)


SPARSE_COMPONENTS: set[str] = set()


class SparseFieldsMixin:
    # `?fields=a,b` keeps only those fields of each object, and always its `id` (unknown names are
    # ignored). The schema therefore requires only `id` of these objects (document_error_responses).
    # (A comment, not a docstring: drf-spectacular would show it as every such object's description.)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        SPARSE_COMPONENTS.add(cls.__name__.removesuffix("Serializer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        wanted = request.query_params.get("fields") if request is not None else None
        if wanted:
            keep = {name.strip() for name in wanted.split(",")} | {"id"}
            for name in list(self.fields):
                if name not in keep:
                    self.fields.pop(name)


# --- ETags and If-Match on tickets ---


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request, given: int | None) -> int | None:
    """The version the client saw: `If-Match: "<version>"` (the ETag of its read) or the body's
    `version` / `expected_version` (older clients). A malformed If-Match is a 400; a stale one, the
    service's 409."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return given
    raw = header.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 9:
        raise exceptions.ValidationError({"If-Match": [_('If-Match 应为读取时得到的 ETag,如 "3"。')]})
    return int(raw)


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The ETag of your read (`"<version>"`): a stale one answers 409. Or send `version`.',
)

# --- the schema ---

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "machine-readable: invalid, conflict, not_found, …"},
        "message": {"type": "string", "description": "in the caller's language (Accept-Language)"},
        "field": {"type": "string", "nullable": True, "description": "the input field at fault, if any"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string", "nullable": True},
                },
                "required": ["code", "message", "field"],
            },
        },
    },
    "required": ["code", "message", "field", "errors"],
}
ERROR_EXAMPLES = {
    "400": {"code": "invalid", "message": "请输入有效的手机号(11 位)或带区号的座机号。", "field": "phone"},
    "401": {"code": "not_authenticated", "message": "身份认证信息未提供。", "field": None},
    "403": {"code": "permission_denied", "message": "只有客服/调度可以登记报修。", "field": None},
    "404": {"code": "not_found", "message": "未找到。", "field": None},
    "409": {"code": "conflict", "message": "工单已被他人更新,请刷新后重试。", "field": None},
    "429": {"code": "throttled", "message": "请求超过了限速。", "field": None},
}
ERROR_RESPONSES = {
    "400": gettext_lazy("请求数据有误(按字段列出)"),
    "401": gettext_lazy("没有令牌,或令牌无效、已过期或已被撤销"),
    "403": gettext_lazy("未登录,或没有权限"),
    "404": gettext_lazy("不存在,或不在您的网点范围内"),
    "409": gettext_lazy("已被他人更新,或状态不允许"),
    "429": gettext_lazy("请求过于频繁"),
}


def document_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: every operation documents the errors every view can give
    (validation, permission, not found or out of scope, conflicts, throttling) in the one error shape,
    with an example, so clients — and schemathesis — know them."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for name in SPARSE_COMPONENTS & schemas.keys():  # `?fields=` may leave out anything but the id
        schemas[name]["required"] = [field for field in schemas[name].get("required", []) if field == "id"]
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                example = {**ERROR_EXAMPLES[code], "errors": [ERROR_EXAMPLES[code]]}
                responses[code] = {
                    "description": responses.get(code, {}).get("description", str(description)),
                    "content": {"application/json": {"schema": ref, "example": example}},
                }
    return result
