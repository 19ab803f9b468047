"""Import and export screens: the catalogue and stock counts, xlsx or csv, with a dry run first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from accounts.idempotency import idempotent
from accounts.models import Role
from aftersales.errors import UserError
from aftersales.exports import dataset_rows, spreadsheet_response
from aftersales.texts import Text, record
from parts import resources
from parts.access import access_warehouse, require_role
from parts.forms import ImportForm
from parts.permissions import may_see_cost_prices
from parts.screens import require_screen


@login_required
@require_GET
def catalogue_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return spreadsheet_response(
        fmt,
        dataset_rows(resources.export_catalogue(with_cost=may_see_cost_prices(request.user))),
        title=_("配件目录"),
        filename=f"parts-catalogue-{timezone.localdate():%Y%m%d}",
    )


@login_required
@require_GET
def counts_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    warehouse = access_warehouse(request.user, pk)
    return spreadsheet_response(
        fmt,
        dataset_rows(resources.export_counts(warehouse)),
        title=_("盘点表"),
        filename=f"stock-count-{warehouse.code}-{timezone.localdate():%Y%m%d}",
    )


def _import_page(request: HttpRequest, *, title: str, run, template_rows: str) -> HttpResponse:
    """Upload → dry run (errors by row and field, or the rows it would write) → import, all or nothing."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        dry_run = "confirm" not in request.POST
        try:
            dataset = resources.load_dataset(form.cleaned_data["file"])
            report = run(dataset, dry_run=dry_run, filename=form.cleaned_data["file"].name)
        except UserError as exc:
            form.add_error("file", str(exc))
        except Exception:  # noqa: BLE001 - an unreadable file is the user's to fix, not a server error
            form.add_error("file", _("无法读取该文件,请上传导出的 xlsx 或 csv 模板。"))
        else:
            if not report.ok:
                messages.error(
                    request,
                    _("文件中有 %(n)s 处错误,未导入任何数据。请改正后重新上传。") % {"n": len(report.errors)},
                )
            elif dry_run:
                messages.info(
                    request,
                    _("试导入通过,共 %(n)s 行。确认无误后请再次选择文件并点“确认导入”。")
                    % {"n": report.total},
                )
            else:
                messages.success(request, _("已导入 %(n)s 行。") % {"n": report.total})
    return render(
        request,
        "parts/import.html",
        {"form": form, "report": report, "title": title, "rows_template": template_rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def catalogue_import(request: HttpRequest) -> HttpResponse:
    require_role(
        request.user, Role.WAREHOUSE, Role.ADMIN, message=_("只有库管或系统管理员可以导入配件目录。")
    )
    return _import_page(
        request,
        title=_("导入配件目录"),
        run=lambda dataset, dry_run, filename: resources.import_catalogue(dataset, dry_run=dry_run),
        template_rows="parts/_import_catalogue_rows.html",
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def counts_import(request: HttpRequest) -> HttpResponse:
    require_screen(request.user, "parts:counts_import", message=_("只有库管可以导入盘点表。"))
    return _import_page(
        request,
        title=_("导入盘点表"),
        run=lambda dataset, dry_run, filename: resources.import_counts(
            dataset,
            user=request.user,
            reason=record(Text(gettext_noop("盘点导入:%(file)s")) % {"file": filename[:100]}),
            dry_run=dry_run,
        ),
        template_rows="parts/_import_count_rows.html",
    )
