from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from aftersales.categories import FaultCategory, ServiceZone


class Role(models.TextChoices):
    """Each role is a Django group of the same name (created by migration 0002)."""

    DISPATCHER = "dispatcher", _("客服/调度")
    TECHNICIAN = "technician", _("技术员")
    SUPERVISOR = "supervisor", _("服务主任")
    WAREHOUSE = "warehouse", _("库管")
    FINANCE = "finance", _("会计")
    MANAGER = "manager", _("服务部经理")
    GENERAL_MANAGER = "general_manager", _("总经理")
    ADMIN = "admin", _("系统管理员")


class Branch(models.Model):
    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("总部")
        BRANCH_COMPANY = "branch_company", _("分公司")
        SERVICE_CENTRE = "service_centre", _("服务中心")
        SERVICE_STATION = "service_station", _("服务站")
        STORE = "store", _("门店")
        DEALER = "dealer", _("经销商")

    code = models.CharField(
        _("网点代码"),
        max_length=8,
        unique=True,
        help_text=_("大写字母或数字,用作单据编号前缀,如 SH"),
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("网点")
        verbose_name_plural = _("网点")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z0-9]{1,8}$"), name="accounts_branch_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_headquarters(self) -> bool:
        return self.kind == self.Kind.HEADQUARTERS


class User(AbstractUser):
    class Source(models.TextChoices):
        """Where the account is kept: a directory account's roles and branch follow the directory."""

        LOCAL = "local", _("本地账号")
        LDAP = "ldap", _("LDAP/AD 目录")
        OIDC = "oidc", _("单点登录 (OIDC)")

    branch = models.ForeignKey(
        Branch,
        verbose_name=_("所属网点"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    source = models.CharField(_("账号来源"), max_length=10, choices=Source.choices, default=Source.LOCAL)
    wecom_userid = models.CharField(
        _("企业微信账号"),
        max_length=64,
        blank=True,
        help_text=_("企业微信通讯录中成员的账号 (UserID),填写后可用企业微信登录"),
    )
    # Set by `end_access`: every session begun before it is no longer valid (see _get_session_auth_hash).
    sessions_ended_at = models.DateTimeField(_("会话终止时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["wecom_userid"],
                condition=~models.Q(wecom_userid=""),
                name="accounts_user_unique_wecom_userid",
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def get_full_name(self) -> str:
        # Chinese names read family name first, with no space.
        return f"{self.last_name}{self.first_name}".strip()

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's hash of the password, sealed with `sessions_ended_at` once access was ended: a session
        stores the hash at login and is flushed at its next request when the hash differs, whatever the
        session engine and backend (the fallback hashes of SECRET_KEY_FALLBACKS go through here too)."""
        password_hash = super()._get_session_auth_hash(secret=secret)
        if self.sessions_ended_at is None:
            return password_hash
        return salted_hmac(
            "accounts.User.sessions_ended_at",
            f"{password_hash}{self.sessions_ended_at.isoformat()}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_access(self) -> None:
        """End every session and revoke every API token of the user (on deactivation, by any path)."""
        self.sessions_ended_at = timezone.now()
        type(self).objects.filter(pk=self.pk).update(sessions_ended_at=self.sessions_ended_at)
        ApiToken.revoke_all(self)

    @cached_property
    def roles(self) -> frozenset[str]:
        """Role names of the user's groups; cached per request-bound instance."""
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_all_branches(self) -> bool:
        return self.is_superuser or bool(self.branch_id and self.branch.is_headquarters)

    def in_branch(self, branch_id: int | None) -> bool:
        """Whether this user works with the data of that branch: headquarters with every branch, anyone
        else with their own only (a user or a record without a branch: never). The row-level twin is
        `accounts.scoping.BranchScopedQuerySet.visible_to`."""
        return self.sees_all_branches or (self.branch_id is not None and self.branch_id == branch_id)

    @property
    def is_technician_only(self) -> bool:
        """A technician with no office role sees only the jobs assigned to them."""
        return self.roles == {Role.TECHNICIAN}


class DocumentSequence(models.Model):
    """The last number issued for one kind of document, branch and day (gap-free numbering).

    `next_number` increments inside the caller's transaction with one upsert, so two requests
    can never get the same number and a rolled-back request leaves no gap.
    """

    kind = models.CharField(max_length=20)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "branch", "day"], name="accounts_documentsequence_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.branch_id} {self.day}: {self.last_value}"

    @classmethod
    def next_number(cls, *, kind: str, branch: Branch, day) -> int:
        table = cls._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (kind, branch_id, day, last_value) VALUES (%s, %s, %s, 1)
                ON CONFLICT (kind, branch_id, day) DO UPDATE SET last_value = {table}.last_value + 1
                RETURNING last_value
                """,
                [kind, branch.pk, day],
            )
            return cursor.fetchone()[0]

    @classmethod
    def document_number(cls, *, kind: str, branch: Branch, prefix: str = "", day=None) -> str:
        """`SH-RC-20261127-0003`: branch, document kind, Shanghai date (today unless given), gap-free
        per branch and day (`SH-20261127-0042` without a prefix). Call it inside the transaction that
        saves the document."""
        day = day or timezone.localdate()
        sequence = cls.next_number(kind=kind, branch=branch, day=day)
        middle = f"{prefix}-" if prefix else ""
        return f"{branch.code}-{middle}{day:%Y%m%d}-{sequence:04d}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("星期一")
    TUESDAY = 1, _("星期二")
    WEDNESDAY = 2, _("星期三")
    THURSDAY = 3, _("星期四")
    FRIDAY = 4, _("星期五")
    SATURDAY = 5, _("星期六")
    SUNDAY = 6, _("星期日")


class BranchWorkingHours(models.Model):
    """One working period of a branch on one weekday (DESIGN §5 上班时间).

    One row per period, edited inline on the branch: a lunch break is simply two rows. A branch
    without rows works the default hours (Mon–Fri 08:30–12:00, 13:30–17:30, see
    `aftersales.workcalendar.DEFAULT_WEEKLY_HOURS`).
    """

    branch = models.ForeignKey(
        Branch, verbose_name=_("网点"), on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start = models.TimeField(_("上班时间"))
    end = models.TimeField(_("下班时间"))

    class Meta:
        verbose_name = _("网点工作时间")
        verbose_name_plural = _("网点工作时间")
        ordering = ["branch", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="accounts_branchworkinghours_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="accounts_branchworkinghours_weekday"
            ),
            models.UniqueConstraint(
                fields=["branch", "weekday", "start"], name="accounts_branchworkinghours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        # Overlaps between rows need a range exclusion constraint the database cannot express portably;
        # the branch admin's inline formset checks the rows of a day against each other.
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError({"end": _("下班时间必须晚于上班时间")})


class CalendarException(models.Model):
    """A date an admin declares off (public holiday) or working (调休), for one branch or for all.

    Overrides the chinese-calendar package, which knows only the years it was released for; a
    branch's own row overrides a row for everyone on the same date.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKING_DAY = "working_day", _("调休上班")

    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("如:春节、国庆节调休"))
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("网点"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_exceptions",
        help_text=_("留空表示适用于所有网点"),
    )

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["-date"]
        constraints = [
            # Two partial constraints because NULL branches are distinct in a plain unique constraint.
            models.UniqueConstraint(
                fields=["date", "branch"],
                condition=models.Q(branch__isnull=False),
                name="accounts_calendarexception_unique_branch_date",
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(branch__isnull=True),
                name="accounts_calendarexception_unique_global_date",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "working_day"]),
                name="accounts_calendarexception_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """An admin's confirmation that a year's holidays and 调休 days are entered completely.

    A year is confirmed when the chinese-calendar package knows it or when it has a row here; deadlines
    in other years are computed on weekdays and admin entries alone and shown as provisional.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    confirmed_by = models.ForeignKey(
        "User", verbose_name=_("确认人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("如:依据国务院办公厅通知"))

    class Meta:
        verbose_name = _("已确认的日历年度")
        verbose_name_plural = _("已确认的日历年度")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2200), name="accounts_calendaryear_year_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


def default_working_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class TechnicianProfile(models.Model):
    """Where and on which days a technician works, for dispatch suggestions (issue #18).

    A technician without a profile is treated as working Monday to Friday in every zone, with the
    default capacity: the board still offers them, it only has nothing to prefer them for.
    """

    user = models.OneToOneField(
        User, verbose_name=_("技术员"), on_delete=models.CASCADE, related_name="technician_profile"
    )
    home_zone = models.CharField(
        _("常驻区域"), max_length=10, choices=ServiceZone.choices, default=ServiceZone.CITY
    )
    # Lists of ServiceZone values and of Weekday numbers; the admin edits them as checkboxes.
    zones_served = models.JSONField(_("服务区域"), default=list, blank=True)
    working_weekdays = models.JSONField(_("工作日"), default=default_working_weekdays, blank=True)
    daily_capacity = models.PositiveSmallIntegerField(
        _("每日可接单数"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("超过此数,派工看板将该技术员标为超负荷"),
    )

    class Meta:
        verbose_name = _("技术员档案")
        verbose_name_plural = _("技术员档案")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_capacity__gte=1, daily_capacity__lte=20),
                name="accounts_technicianprofile_capacity_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class TechnicianSkill(models.Model):
    """A technician may repair one product category; a certification, when it has an expiry date, stops
    counting after that day (the board then no longer offers them for that category)."""

    technician = models.ForeignKey(
        User, verbose_name=_("技术员"), on_delete=models.CASCADE, related_name="skills"
    )
    category = models.CharField(_("产品类别"), max_length=20, choices=FaultCategory.choices)
    certificate = models.CharField(_("资质证书"), max_length=60, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("留空表示长期有效"))

    class Meta:
        verbose_name = _("技术员技能")
        verbose_name_plural = _("技术员技能")
        ordering = ["technician", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "category"], name="accounts_technicianskill_unique_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.get_category_display()}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_until is None or self.valid_until >= day


class TechnicianLeaveQuerySet(models.QuerySet):
    def covering(self, first_day: datetime.date, last_day: datetime.date) -> TechnicianLeaveQuerySet:
        return self.filter(starts_on__lte=last_day, ends_on__gte=first_day)


class TechnicianLeave(models.Model):
    """Days a technician is away (leave, training, sick): never offered for dispatch on them."""

    technician = models.ForeignKey(
        User, verbose_name=_("技术员"), on_delete=models.CASCADE, related_name="leaves"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=100, blank=True)

    objects = TechnicianLeaveQuerySet.as_manager()

    class Meta:
        verbose_name = _("技术员休假")
        verbose_name_plural = _("技术员休假")
        ordering = ["-starts_on"]
        indexes = [
            # The dispatch board's "who is away today" (tickets.selectors.dispatch_inputs).
            models.Index(fields=["technician", "ends_on"], name="accounts_leave_tech_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="accounts_technicianleave_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("结束日期不能早于开始日期")})


class ApiTokenQuerySet(models.QuerySet):
    def unexpired(self) -> ApiTokenQuerySet:
        return self.filter(expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A key for the API (`Authorization: Token <key>`), one per device or program.

    Only the key's SHA-256 is stored: the key is shown once, when it is issued. The token is sealed with
    the password it was issued under, so a password change by any path (the account page, a reset link,
    the admin, `manage.py changepassword`) ends every token of the user, as Django ends the user's other
    sessions. Deactivating an account deletes its tokens (`revoke_all`).
    """

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("密钥开头"), max_length=8, editable=False)
    client = models.CharField(_("客户端"), max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("到期时间"))
    password_seal = models.CharField(max_length=64, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def seal_of(user: User) -> str:
        return salted_hmac("accounts.ApiToken", user.password, algorithm="sha256").hexdigest()

    @classmethod
    def issue(cls, user: User, *, client: str = "") -> tuple[ApiToken, str]:
        """A new token and its key, valid for API_TOKEN_DAYS; the user's dead tokens are removed."""
        cls.objects.filter(user=user).exclude(
            expires_at__gt=timezone.now(), password_seal=cls.seal_of(user)
        ).delete()
        key = secrets.token_urlsafe(30)
        token = cls.objects.create(
            user=user,
            digest=cls.digest_of(key),
            prefix=key[:8],
            client=client[:200],
            expires_at=timezone.now() + datetime.timedelta(days=settings.API_TOKEN_DAYS),
            password_seal=cls.seal_of(user),
        )
        return token, key

    @classmethod
    def for_key(cls, key: str) -> ApiToken | None:
        """The token of this key if it still opens the API: not expired, of an active user, issued
        under the user's current password."""
        token = cls.objects.unexpired().select_related("user").filter(digest=cls.digest_of(key)).first()
        if token is None or not token.user.is_active or not token.is_sealed():
            return None
        return token

    @classmethod
    def of_user(cls, user: User) -> list[ApiToken]:
        """The user's tokens that still open the API, newest first."""
        seal = cls.seal_of(user)
        return list(cls.objects.unexpired().filter(user=user, password_seal=seal))

    @classmethod
    def revoke_all(cls, user: User) -> None:
        cls.objects.filter(user=user).delete()

    @property
    def is_usable(self) -> bool:
        return self.expires_at > timezone.now() and self.user.is_active and self.is_sealed()

    def is_sealed(self) -> bool:
        return constant_time_compare(self.password_seal, self.seal_of(self.user))


class IdempotencyRecord(models.Model):
    """One write per intent: the first answer to a request that carried this key (the hidden
    `idempotency_key` of a form, the API's `Idempotency-Key` header), stored in the same transaction as the
    write, so that a double tap or a resend gets that answer again instead of a second write.

    `request_sha256` is the request's fingerprint (path and body without the key and the CSRF token): the
    same key with another body, or from another user, is refused. Kept IDEMPOTENCY_KEY_DAYS days
    (`accounts.tasks.purge_idempotency_records`)."""

    key = models.UUIDField(_("提交标识"), unique=True, editable=False)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, editable=False)
    request_sha256 = models.CharField(max_length=64, editable=False)
    # {"redirect": url, "messages": [[level, text, tags]]} for a page, {"status": n, "data": …} for the API;
    # empty only inside the transaction of the first request, which fills it or deletes the row.
    result = models.JSONField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        verbose_name = _("提交记录")
        verbose_name_plural = _("提交记录")

    def __str__(self) -> str:
        return f"{self.key} ({self.created_at:%Y-%m-%d %H:%M})"
