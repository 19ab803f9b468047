"""Moving in from spreadsheets (tickets.callbook): upload a call book, see its dry run, import it with a
progress bar, undo a batch. The admin role only."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.idempotency import idempotent
from accounts.models import Branch, Role
from aftersales.errors import UserError
from aftersales.exports import spreadsheet_response
from aftersales.texts import render as render_text
from audit.context import client_ip
from customers.models import ImportBatch
from tickets import callbook, tasks
from tickets.callbook_rules import COLUMNS

BATCHES_SHOWN = 50


class CallbookForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("叫修登记簿文件(xlsx 或 csv)"))
    branch = forms.ModelChoiceField(
        label=gettext_lazy("默认服务网点"),
        queryset=Branch.objects.filter(is_active=True),
        help_text=gettext_lazy("“服务网点”列为空的行归入此网点。"),
    )


def require_importer(user) -> None:
    if not (user.is_superuser or user.has_role(Role.ADMIN)):
        raise PermissionDenied(_("只有系统管理员可以导入历史数据。"))


def _batch(user, pk: int) -> ImportBatch:
    require_importer(user)
    return get_object_or_404(
        ImportBatch.objects.select_related("branch", "created_by", "undone_by").defer("content"), pk=pk
    )


def _read(entries: list[dict]) -> list[dict]:
    """The stored errors or warnings, each read in the user's language: 行 12 列「购买日期」:…"""
    return [
        {"row": entry["row"], "column": entry["column"], "message": render_text(entry["message"])}
        for entry in entries
    ]


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def callbook_index(request: HttpRequest) -> HttpResponse:
    require_importer(request.user)
    form = CallbookForm(
        request.POST or None, request.FILES or None, initial={"branch": request.user.branch_id}
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = callbook.check_upload(upload)
        except UserError as exc:
            form.add_error("file", str(exc))
        else:
            batch = ImportBatch.objects.create(
                file_name=upload.name[:200],
                content=content,
                branch=form.cleaned_data["branch"],
                created_by=request.user,
            )
            transaction.on_commit(partial(tasks.check_callbook.delay, batch.pk, client_ip(request)))
            messages.info(request, _("文件已上传,正在试导入检查(不会写入任何数据)。"))
            return redirect(batch)
    batches = ImportBatch.objects.select_related("branch", "created_by").defer("content")[:BATCHES_SHOWN]
    return render(
        request,
        "tickets/callbook/index.html",
        {"form": form, "batches": batches, "columns": COLUMNS},
    )


@login_required
@require_GET
def callbook_template(request: HttpRequest, fmt: str) -> HttpResponse:
    require_importer(request.user)
    return spreadsheet_response(
        fmt, callbook.template_rows(), title=_("叫修登记簿"), filename="callbook-template"
    )


@login_required
@require_GET
def callbook_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's page; while it runs, htmx asks for its status partial every second until done."""
    batch = _batch(request.user, pk)
    context = {
        "batch": batch,
        "errors": _read(batch.errors),
        "warnings": _read(batch.warnings),
        # Whether an undo can work, said before its button is offered.
        "blockers": callbook.built_on(batch) if batch.state == ImportBatch.State.DONE else [],
    }
    if request.htmx:
        return render(request, "tickets/callbook/batch.html#status", context)
    return render(request, "tickets/callbook/batch.html", context)


@login_required
@require_POST
@idempotent
def callbook_run(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request.user, pk)
    try:
        callbook.start_import(batch_id=batch.pk, user=request.user)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        transaction.on_commit(partial(tasks.import_callbook.delay, batch.pk, client_ip(request)))
        messages.info(request, _("开始导入:全部成功才会写入,失败则一条也不写入。"))
    return redirect(batch)


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def callbook_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what an undo would remove, and the button; POST: remove it."""
    batch = _batch(request.user, pk)
    if request.method == "POST":
        try:
            callbook.start_undo(batch_id=batch.pk, user=request.user)
        except UserError as exc:
            messages.error(request, str(exc))
        else:
            transaction.on_commit(partial(tasks.undo_callbook.delay, batch.pk, client_ip(request)))
            messages.info(request, _("正在撤销本批导入:全部删除后才生效。"))
        return redirect(batch)
    return render(
        request,
        "tickets/callbook/undo.html",
        {
            "batch": batch,
            "blockers": callbook.built_on(batch) if batch.state == ImportBatch.State.DONE else [],
        },
    )
