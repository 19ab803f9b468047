"""Signing the customer in: one-time codes by SMS and single-use ticket links (issue #17).

Codes: 6 digits, valid 5 minutes, 5 wrong tries lock the number for LOCK_MINUTES; a number gets at most
one code a minute and CODES_PER_HOUR an hour, an address ADDRESS_CODES_PER_HOUR an hour (whatever the
numbers, so nobody walks the number space from one place). Only a keyed digest of a code is stored.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from aftersales.errors import UserError
from aftersales.texts import Text
from customers.models import Customer, CustomerPhone
from customers.phones import InvalidPhone, normalize_phone
from notifications.services import notify_customer
from portal.models import SignInCode, TicketLink
from tickets.models import RepairTicket, TicketEvent, event_note

CODE_MINUTES = 5
MAX_TRIES = 5
LOCK_MINUTES = 30
RESEND_SECONDS = 60
CODES_PER_HOUR = 5
ADDRESS_CODES_PER_HOUR = 20
LINK_DAYS = 7


class TooManyRequests(UserError):
    """A rate limit or a lock: the view answers 429."""


class LinkRefused(UserError):
    """A ticket link nobody was given (404), or used or expired (410: `gone`)."""

    def __init__(self, message: str, *, gone: bool) -> None:
        super().__init__(message)
        self.gone = gone


def mobile_number(raw: str) -> str:
    """The normal form of a mainland mobile number, or UserError."""
    try:
        phone = normalize_phone(raw)
    except InvalidPhone:
        phone = ""
    if len(phone) != 11 or not phone.startswith("1"):
        raise UserError(_("请输入11位手机号码。"), field="phone")
    return phone


def hash_code(phone: str, code: str) -> str:
    return salted_hmac("portal.sign-in-code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _serialise_on(phone: str) -> None:
    """Two requests for one number at once wait for each other, so both see the other's row when counting
    (PostgreSQL: a transaction-level advisory lock; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"portal:{phone}"])


def locked_until(phone: str, now: datetime.datetime) -> datetime.datetime | None:
    return (
        SignInCode.objects.filter(phone=phone, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )


def _locked_message(until: datetime.datetime) -> str:
    return _("验证码错误次数过多,该号码已锁定,请于 %(time)s 后再试。") % {
        "time": timezone.localtime(until).strftime("%H:%M")
    }


def _customer_for(phone: str) -> Customer | None:
    row = CustomerPhone.objects.filter(number=phone).select_related("customer").order_by("pk").first()
    return row.customer if row else None


@transaction.atomic
def request_code(*, phone: str, ip_address: str | None) -> SignInCode:
    """Send a new code to the number (if a customer has it on file) and void the earlier ones."""
    now = timezone.now()
    _serialise_on(phone)
    until = locked_until(phone, now)
    if until:
        raise TooManyRequests(_locked_message(until))
    recent = SignInCode.objects.filter(phone=phone, created_at__gt=now - datetime.timedelta(hours=1))
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last and last > now - datetime.timedelta(seconds=RESEND_SECONDS):
        wait = RESEND_SECONDS - int((now - last).total_seconds())
        raise TooManyRequests(_("验证码已发送,请 %(seconds)s 秒后再重新获取。") % {"seconds": wait})
    if recent.count() >= CODES_PER_HOUR:
        raise TooManyRequests(_("该号码获取验证码过于频繁,请一小时后再试。"))
    if ip_address and (
        SignInCode.objects.filter(
            ip_address=ip_address, created_at__gt=now - datetime.timedelta(hours=1)
        ).count()
        >= ADDRESS_CODES_PER_HOUR
    ):
        raise TooManyRequests(_("您的网络获取验证码过于频繁,请稍后再试。"))
    SignInCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)  # only the newest counts
    code = f"{secrets.randbelow(10**6):06d}"
    customer = _customer_for(phone)
    row = SignInCode.objects.create(
        phone=phone,
        ip_address=ip_address,
        code_hash=hash_code(phone, code),
        on_file=customer is not None,
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=CODE_MINUTES),
    )
    if customer is not None:
        notify_customer(
            customer,
            kind="portal_code",
            # Texts to the customer go out in Chinese whatever the sender's language (notify_customer).
            text=Text(
                gettext_noop("【%(company)s】您的售后服务登录验证码(%(minutes)s分钟内有效,请勿告诉他人):")
            )
            % {"company": settings.COMPANY_NAME, "minutes": CODE_MINUTES},
            secret=code,
            phone=phone,
        )
    return row


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    message: str = ""
    locked: bool = False


def _check_code(phone: str, code: str, now: datetime.datetime) -> CodeCheck:
    """In its own transaction, so a wrong try is counted even though the caller then raises."""
    with transaction.atomic():
        _serialise_on(phone)
        until = locked_until(phone, now)
        if until:
            return CodeCheck(False, _locked_message(until), locked=True)
        row = (
            SignInCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_TRIES)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            return CodeCheck(False, _("验证码已失效,请重新获取。"))
        if row.on_file and constant_time_compare(row.code_hash, hash_code(phone, code)):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return CodeCheck(True)
        row.attempts += 1
        if row.attempts >= MAX_TRIES:
            row.locked_until = now + datetime.timedelta(minutes=LOCK_MINUTES)
            row.save(update_fields=["attempts", "locked_until"])
            return CodeCheck(False, _locked_message(row.locked_until), locked=True)
        row.save(update_fields=["attempts"])
        return CodeCheck(
            False, _("验证码不正确,还可以再试 %(left)s 次。") % {"left": MAX_TRIES - row.attempts}
        )


def verify_code(*, phone: str, code: str) -> None:
    """The code sent to the number, or UserError (TooManyRequests once the number is locked)."""
    code = (code or "").strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise UserError(_("请输入短信中的6位数字验证码。"), field="code")
    check = _check_code(phone, code, timezone.now())
    if check.locked:
        raise TooManyRequests(check.message, field="code")
    if not check.ok:
        raise UserError(check.message, field="code")


# --- ticket links ---


def issue_ticket_link(*, ticket: RepairTicket, purpose: str, now: datetime.datetime | None = None) -> str:
    """A new single-use link into the ticket's page (in the caller's transaction); returns its path.
    The token is in the returned path only: the row keeps its SHA-256."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    TicketLink.objects.create(
        ticket=ticket,
        token_hash=hash_token(token),
        purpose=purpose,
        created_at=now,
        expires_at=now + datetime.timedelta(days=LINK_DAYS),
    )
    return reverse("portal:link", args=[token])


def find_link(token: str, *, for_update: bool = False) -> TicketLink:
    queryset = TicketLink.objects.select_related("ticket")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    link = queryset.filter(token_hash=hash_token(token)).first()
    if link is None:
        raise LinkRefused(_("链接无效。"), gone=False)
    if link.used_at is not None:
        raise LinkRefused(_("这个链接已经用过了。请用手机号和验证码登录。"), gone=True)
    if link.expires_at <= timezone.now():
        raise LinkRefused(_("这个链接已过期。请用手机号和验证码登录。"), gone=True)
    return link


@transaction.atomic
def redeem_link(*, token: str) -> TicketLink:
    """Use the link (once: the row lock makes a second, concurrent use find it used)."""
    link = find_link(token, for_update=True)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link


@transaction.atomic
def text_ticket_link(*, ticket: RepairTicket, user: User) -> str:
    """Staff send the customer a sign-in link to the ticket (a lost SMS, a new phone); returns the number
    texted. The ticket's history records who sent it."""
    path = issue_ticket_link(ticket=ticket, purpose="staff")
    notification = notify_customer(
        ticket.customer,
        kind="portal_link",
        text=Text(gettext_noop("【%(company)s】点击查看您的报修(工单 %(number)s)进度:"))
        % {"company": settings.COMPANY_NAME, "number": ticket.number},
        secret_link=path,
    )
    if notification is None:
        raise UserError(_("客户没有登记手机号,无法发送短信。"))
    TicketEvent.objects.create(
        ticket=ticket,
        actor=user,
        action="portal_link",
        from_state=ticket.state,
        to_state=ticket.state,
        **event_note(Text(gettext_noop("已发送至 %(phone)s")) % {"phone": notification.phone}),
    )
    return notification.phone
