"""Every message the system sends: the in-app inbox row, and one delivery row per outside channel."""

from __future__ import annotations

from django.conf import settings
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
