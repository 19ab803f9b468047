"""`record`: the one writer of the audit trail, called by the services where a change happens (one line
each) and by `audit.receivers` for sign-ins, group and permission changes and the Django admin.

It writes in the caller's transaction: call it inside the `atomic()` block of the change, after the
change, so the row exists exactly when the change does.
"""

from __future__ import annotations

from django.db.models import Model
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from audit import context
from audit.models import AuditEntry

# Verb code → label (Chinese, shown translated). A caller with its own label for a family of verbs (the
# ticket's transitions, the kinds of stock movement) passes it as `label`.
VERBS = {
    "auth.login": _("登录成功"),
    "auth.logout": _("退出登录"),
    "auth.login_failed": _("登录失败"),
    "auth.groups_changed": _("角色变更"),
    "auth.permissions_changed": _("权限变更"),
    "auth.password_changed": _("密码已修改"),
    "auth.token_issued": _("签发 API 令牌"),
    "auth.token_revoked": _("撤销 API 令牌"),
    "auth.deactivate": _("停用账号"),
    "auth.activate": _("启用账号"),
    "admin.add": _("后台新增"),
    "admin.change": _("后台修改"),
    "admin.delete": _("后台删除"),
    "ticket.log_call": _("叫修登记"),
    "ticket.revise_fault": _("修改故障信息"),
    "ticket.set_appointment": _("预约时间变更"),
    "ticket.sign_report": _("客户签字确认服务报告"),
    "ticket.report_addendum": _("服务报告补充说明"),
    "ticket.pause_clock": _("暂停时限计时"),
    "ticket.resume_clock": _("恢复时限计时"),
    "ticket.handover": _("工单移交"),
    "requisition.approve": _("批准领料单"),
    "requisition.reject": _("驳回领料单"),
    "claim.submit": _("赔偿申请提交"),
    "claim.approve": _("批准赔偿申请"),
    "claim.reject": _("驳回赔偿申请"),
    "claim.withdraw": _("撤回赔偿申请"),
    "claim.reassign": _("转交审批人"),
    "write_off.book": _("核销入账"),
    "fee.quote": _("服务费报价"),
    "fee.receive": _("服务费交财务"),
    "fee.invoice": _("服务费开票"),
    "callbook.upload": _("上传叫修登记簿(试导入)"),
    # Not the page's name (导入历史数据): the action's, read apart from it in English too.
    "callbook.import": _("导入叫修登记簿"),
    "callbook.undo": _("撤销导入批次"),
}

MAX_LABEL = 200


def actor_name_of(user) -> str:
    full_name = user.get_full_name()
    username = user.get_username()
    return (f"{full_name} ({username})" if full_name else username)[:150]


def record(
    actor,
    verb: str,
    obj: Model | None = None,
    details: dict | None = None,
    *,
    label=None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    actor_name: str = "",
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one row: `actor` did `verb` to `obj` (a model instance, or `object_type`/`object_id`/
    `object_label` for one that is not loaded or is gone). `actor` None is the system (a task, the
    customer's channel); `actor_name` names someone without an account (the name typed at a failed
    sign-in). The IP address is the current web request's, if any, else `ip_address`: that of the request
    which started the task writing the row."""
    label = label if label is not None else VERBS.get(verb)
    if label is None:
        raise ValueError(f"Unknown audit verb {verb!r}: add it to audit.services.VERBS or pass a label")
    if actor is not None and not actor.is_authenticated:
        actor = None
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
        object_label = object_label or str(obj)
    with translation.override("zh-hans"):
        verb_label = str(label)
    request = context.current()
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor_name_of(actor) if actor is not None else actor_name[:150],
        ip_address=request.ip_address if request else ip_address,
        verb=verb,
        verb_label=verb_label[:100],
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_label=object_label[:MAX_LABEL],
        details=details or {},
    )


def changes(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
