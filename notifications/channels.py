"""Outside channels. Each `send` raises DeliveryError (or any exception) when the message did not go."""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from notifications.models import Notification

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    pass


def message_text(notification: Notification) -> str:
    lines = [notification.subject]
    if notification.secret:
        lines.append(notification.secret)
    if notification.body:
        lines.append(notification.body)
    if notification.link:
        lines.append(settings.SITE_URL.rstrip("/") + notification.link)
    return "\n".join(lines)


def send_email(notification: Notification) -> None:
    address = notification.recipient.email if notification.recipient_id else ""
    if not address:
        raise DeliveryError(_("用户没有电子邮件地址。"))
    send_mail(notification.subject, message_text(notification), None, [address])


def send_wecom(notification: Notification) -> None:
    """企业微信群机器人: POST a text message to the webhook; errcode 0 means delivered."""
    url = settings.WECOM_WEBHOOK_URL
    if not url:
        raise DeliveryError(_("未配置企业微信机器人地址(WECOM_WEBHOOK_URL)。"))
    content = f"{notification.addressee_name}:{message_text(notification)}"
    payload = json.dumps({"msgtype": "text", "text": {"content": content}}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode") != 0:
        raise DeliveryError(f"WeCom errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


class LoggingSmsBackend:
    """The default SMS backend: writes the message to the log. Replace with a gateway's (SMS_BACKEND)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def send_sms(notification: Notification) -> None:
    phone = notification.phone or (notification.recipient.phone if notification.recipient_id else "")
    if not phone:
        raise DeliveryError(_("用户没有手机号。"))
    import_string(settings.SMS_BACKEND)().send(phone, message_text(notification))


def wechat_backend():
    """The WeChat Official Account backend (notifications.wechat), or None while the channel is off."""
    return import_string(settings.WECHAT_BACKEND)() if settings.WECHAT_BACKEND else None


def send_wechat(notification: Notification) -> None:
    """A template message to the customer's WeChat (their openid), with the link into the channel."""
    backend = wechat_backend()
    if backend is None:
        raise DeliveryError(_("未启用微信公众号消息(WECHAT_BACKEND)。"))
    openid = notification.customer.wechat_openid if notification.customer_id else ""
    if not openid:
        raise DeliveryError(_("客户没有关联微信。"))
    text = "\n".join(line for line in (notification.subject, notification.body) if line)
    url = settings.SITE_URL.rstrip("/") + notification.link if notification.link else ""
    backend.send(openid, text, url)


SENDERS = {"email": send_email, "wecom": send_wecom, "sms": send_sms, "wechat": send_wechat}
