"""Every message the system sends: the in-app inbox row, and one delivery row per outside channel."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.texts import render


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信")
    SMS = "sms", _("短信")
    # A customer's WeChat Official Account follower (notifications.wechat); never a staff user's.
    WECHAT = "wechat", _("微信公众号")


class Notification(models.Model):
    """One message to one user (shown in their inbox) or to one customer (sent by SMS to `phone`).

    `key` makes sending idempotent: the same (recipient, key) is stored once, so a sweep that runs
    twice, or two workers at once, notify once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    kind = models.CharField(_("类型"), max_length=40)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    # A title or body made from a rule, as its message id and parameters (aftersales.texts): shown in
    # the reader's language; `subject` and `body` keep the Chinese record as it was sent.
    subject_message = models.JSONField(_("标题(消息代码)"), default=dict, blank=True)
    body_message = models.JSONField(_("内容(消息代码)"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # The link is a credential (a survey token, stored elsewhere only as its digest): erased once no
    # delivery is pending, so that a copy of the database cannot use it (notifications.tasks.send_one).
    forget_link = models.BooleanField(_("发送后删除链接"), default=False)
    # A one-time sign-in code (portal.services.request_code), stored elsewhere only hashed: sent on the line
    # after the subject and erased with the link.
    secret = models.CharField(_("一次性内容"), max_length=20, blank=True)
    key = models.CharField(_("去重键"), max_length=120, blank=True)
    # A message that asks for a decision names the work item (e.g. `claim:12:level:1`); whoever decides
    # it marks every ask for it done (services.mark_work_done), so the inbox shows it handled.
    work_key = models.CharField(_("待办事项"), max_length=120, blank=True)
    done_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notifications_once_per_key"
            ),
            models.UniqueConstraint(
                fields=["customer", "key"], condition=~Q(key=""), name="notifications_customer_once_per_key"
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False, customer__isnull=True)
                | Q(recipient__isnull=True, customer__isnull=False),
                name="notifications_one_addressee",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notifications_unread_idx",
            ),
            # The asks still open for a work item (services.mark_work_done).
            models.Index(
                fields=["work_key"],
                condition=~Q(work_key="") & Q(done_at__isnull=True),
                name="notifications_open_work_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject_text

    @property
    def subject_text(self) -> str:
        """The title in the reader's language (the record when no message code was stored)."""
        return render(self.subject_message, self.subject)

    @property
    def body_text(self) -> str:
        return render(self.body_message, self.body)

    @property
    def addressee_name(self) -> str:
        if self.recipient_id:
            return self.recipient.get_full_name() or self.recipient.username
        return self.customer.name


class Delivery(models.Model):
    """A notification sent (or to be sent) through one outside channel, with its result."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("结果"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    last_error = models.TextField(_("错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notifications_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notifications_pending_idx",
            ),
            # The failed deliveries gauge of /metrics (notifications.selectors.delivery_backlog), counted
            # at every scrape: the failed rows only, not the sent ones.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="failed"),
                name="notifications_failed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_status_display()}"


class ChannelPreference(models.Model):
    """The outside channels a user wants besides the in-app inbox (which everyone has)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="channel_preference",
    )
    email = models.BooleanField(_("电子邮件"), default=True)
    wecom = models.BooleanField(_("企业微信"), default=False)
    sms = models.BooleanField(_("短信"), default=False)

    class Meta:
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")

    def __str__(self) -> str:
        return str(self.user)

    def channels(self) -> list[str]:
        return [channel for channel in (Channel.EMAIL, Channel.WECOM, Channel.SMS) if getattr(self, channel)]


# --- Outbound webhooks (issue #21 item 2): events sent to the company's other systems (ERP, CRM). ---


WEBHOOK_SCHEMES = ("http", "https")


class EventType(models.TextChoices):
    """The events an endpoint may subscribe to; the value is the `type` of the payload and the
    `X-Aftersales-Event` header. Where each one is emitted: notifications.webhooks."""

    TICKET_LOGGED = "ticket.logged", _("工单已登记")
    TICKET_DISPATCHED = "ticket.dispatched", _("工单已派工")
    TICKET_COMPLETED = "ticket.completed", _("维修已完成")
    TICKET_ACCEPTED = "ticket.accepted", _("工单已验收")
    TICKET_CLOSED = "ticket.closed", _("工单已回访关闭")
    CLAIM_APPROVED = "claim.approved", _("赔偿申请已批准")
    PART_ISSUED = "part.issued", _("配件已发放")
    SURVEY_ANSWERED = "survey.answered", _("满意度调查已答复")


class WebhookEndpoint(models.Model):
    """A receiver registered by an administrator: the URL, the events it wants, and the secret that signs
    each request to it (kept in clear: signing needs it; only administrators see it)."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(
        _("接收地址"), max_length=500, validators=[URLValidator(schemes=list(WEBHOOK_SCHEMES))]
    )
    secret = models.CharField(_("签名密钥"), max_length=100, editable=False)
    events = models.JSONField(_("订阅的事件"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 接收端")
        verbose_name_plural = _("Webhook 接收端")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class WebhookEvent(models.Model):
    """One event, stored in the transaction of the change it reports. `event_id` is what receivers
    de-duplicate on: every delivery of the event, replays included, carries it and the same payload."""

    event_id = models.UUIDField(_("事件编号"), unique=True, editable=False)
    type = models.CharField(_("事件"), max_length=40, choices=EventType.choices)
    payload = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 事件")
        verbose_name_plural = _("Webhook 事件")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.event_id}"


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with the receiver's last answer. A replay is a new
    row (`replay_of`), so the history of what was sent stays."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")

    event = models.ForeignKey(
        WebhookEvent, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("接收端"), on_delete=models.CASCADE, related_name="deliveries"
    )
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("重发自"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replays",
    )
    status = models.CharField(_("结果"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.TextField(_("响应内容(截断)"), blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook 发送记录")
        verbose_name_plural = _("Webhook 发送记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # An event goes to an endpoint once; only a replay (an administrator's action) adds another.
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                condition=Q(replay_of__isnull=True),
                name="notifications_webhookdelivery_once",
            ),
        ]
        indexes = [
            # notifications.tasks.retry_deliveries: the pending webhook deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notifications_webhook_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.get_type_display()} → {self.endpoint} · {self.get_status_display()}"
