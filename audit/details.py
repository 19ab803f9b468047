"""A row's details as a reader reads them: label: value pairs in the reader's language.

The details are stored as JSON with the writer's keys and codes ({"from": "reported", "to": "dispatched"},
{"changes": {"contact_hours": ["2.0", "1"]}}). Known keys have labels here; any other key is named by the
field of the same name on the row's model (its verbose name), and a value of a field with choices (a state,
a status, a kind) by its display name, found through the app registry: the audit app sits below the apps
it records and imports none of them.
"""

from __future__ import annotations

import json

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.db.models import Model
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from aftersales.texts import list_text

LABELS = {
    "username": _("输入的用户名"),
    "from": _("原状态"),
    "to": _("新状态"),
    "added": pgettext_lazy("audit", "新增"),
    "removed": pgettext_lazy("audit", "移除"),
    "message": _("说明"),
    "changes": _("修改内容"),
    "related_changes": _("关联修改"),
    "note": _("备注"),
    "reason": _("原因"),
    "level": _("审批级别"),
    "role": _("角色"),
    "status": _("状态"),
    "amount": _("金额"),
    "ticket": _("工单"),
    "kind": _("类型"),
    "approver": _("审批人"),
    "voucher_number": _("凭证号"),
    "invoice_number": _("发票号"),
    "invoice_date": _("开票日期"),
    "agreed_by": _("同意人"),
    "report": _("服务报告编号"),
    "addendum": _("补充说明编号"),
    "fee": _("服务费"),
    "reference": _("单号"),
    "lines": _("明细"),
    "movement": _("流水编号"),
    "part": _("配件"),
    "warehouse": _("仓库"),
    "condition": _("状况"),
    "quantity": _("数量"),
    "balance_after": _("结存"),
    "fault_cause": _("故障原因"),
    "appointment": _("预约时间"),
    "prefix": _("令牌前缀"),
    "client": _("客户端"),
    "expires_at": _("到期时间"),
    "unit": _("产品编号"),
    "technician": _("技术员编号"),
    "technician_name": _("技术员"),
    "previous_technician": _("原技术员编号"),
    "previous_technician_name": _("原技术员"),
    "helpers": _("协助技术员编号"),
    "helper_names": _("协助技术员"),
    "released_helper_names": _("不再协助的技术员"),
    "serial_number": _("序列号"),
    "file": _("文件"),
    "rows": _("行数"),
    "counts": _("数量"),
    # The call book import's counts (tickets.callbook.Plan.counts) and its undo's.
    "customers": _("新建客户"),
    "customers_reused": _("已有客户(按电话匹配)"),
    "units": _("新建产品"),
    "units_reused": _("已有产品(按序列号匹配)"),
    "tickets": _("历史工单"),
    "skipped": _("已导入过而跳过的行"),
    "warnings": _("提示"),
}
# Keys whose codes are the values of another field of the row's model.
VALUE_FIELDS = {"from": "state", "to": "state"}
ROLE_KEYS = {"role", "added", "removed"}  # group names are role codes (accounts.Role)
PAIR_KEYS = {"fault_cause", "appointment"}  # stored as [old, new]
ARROW = " → "


def model_of(object_type: str) -> type[Model] | None:
    try:
        return apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        return None


def _field(model: type[Model] | None, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a relation's accessor name
        return None


def label_of(key: str, model: type[Model] | None) -> str:
    if key in LABELS:
        return str(LABELS[key])
    field = _field(model, key)
    verbose = getattr(field, "verbose_name", None)
    return str(verbose) if verbose else key


def _choice(model: type[Model] | None, name: str, value) -> str | None:
    field = _field(model, name)
    choices = dict(getattr(field, "flatchoices", None) or ())
    return str(choices[value]) if isinstance(value, str | int) and value in choices else None


def value_text(key: str, value, model: type[Model] | None) -> str:
    """One value as text: codes by their display names, lists joined, [old, new] as old → new."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, dict):
        return ", ".join(f"{label_of(k, model)}: {value_text(k, v, model)}" for k, v in value.items())
    if isinstance(value, list):
        return list_text(value_text(key, item, model) for item in value)
    if key in ROLE_KEYS and value in Role.values:
        return str(Role(value).label)
    shown = _choice(model, VALUE_FIELDS.get(key, key), value)
    return shown if shown is not None else str(value)


def _admin_message(message) -> str:
    """The Django admin's change message in the reader's language ("已修改 联系时限。")."""
    text = json.dumps(message) if isinstance(message, list) else str(message)
    return LogEntry(change_message=text).get_change_message() or "—"


def _changes(diff: dict, model: type[Model] | None) -> str:
    return "; ".join(
        f"{label_of(name, model)}: {value_text(name, old, model)}{ARROW}{value_text(name, new, model)}"
        for name, (old, new) in diff.items()
    )


def readable(details: dict, object_type: str) -> list[tuple[str, str]]:
    """[(label, value)] of a row's details, in the reader's language."""
    model = model_of(object_type)
    pairs = []
    for key, value in sorted(details.items(), key=_order):
        if key == "message":
            text = _admin_message(value)
        elif key == "changes" and isinstance(value, dict):
            text = _changes(value, model)
        elif key == "related_changes" and isinstance(value, dict):
            text = " | ".join(
                f"{_object_name(name)}: {_changes(diff, model_of(name.partition('#')[0]))}"
                for name, diff in value.items()
            )
        elif _is_pair(key, value, model):
            text = f"{value_text(key, value[0], model)}{ARROW}{value_text(key, value[1], model)}"
        elif key == "lines" and isinstance(value, list):
            text = " | ".join(value_text(key, line, model) for line in value)
        else:
            text = value_text(key, value, model)
        pairs.append((label_of(key, model), text))
    return pairs


ORDER = {key: position for position, key in enumerate(LABELS)}


def _order(item: tuple[str, object]) -> tuple[int, str]:
    """The labelled keys in the order above (from before to), then the others by name: PostgreSQL's
    jsonb keeps no order of its own."""
    return ORDER.get(item[0], len(ORDER)), item[0]


def _is_pair(key: str, value, model: type[Model] | None) -> bool:
    """[old, new] of a field: the keys that are, and a model field's name not labelled here."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    return key in PAIR_KEYS or (key not in LABELS and _field(model, key) is not None)


def _object_name(name: str) -> str:
    """ "parts.part#7" as the model's name and the number."""
    label, _sep, pk = name.partition("#")
    model = model_of(label)
    return f"{model._meta.verbose_name if model else label} {pk}".strip()


def readable_text(details: dict, object_type: str) -> str:
    """The pairs on one line, for the export."""
    return "; ".join(f"{label}: {text}" for label, text in readable(details, object_type))
