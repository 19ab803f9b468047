"""Settings for aftersales. Every deployment-specific value comes from the environment.

See `.env.example` for the full list. The defaults run the embedded shape: SQLite and a
filesystem Celery broker under ``var/``, so `make run` needs no server.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from kombu import Exchange, Queue

from aftersales.env import (
    bucket_origins,
    env_bool,
    env_choice,
    env_file_storage,
    env_float,
    env_int,
    env_list,
    env_mapping,
    env_networks,
    env_str,
    replica_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("AFTERSALES_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The environment wins; on a machine where `make run` has run, its generated key in var/ lets
# `manage.py` commands work without exporting anything.
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and (VAR_DIR / "secret_key").is_file():
    SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
# Without a key and with DEBUG off the key stays empty: the manage.py commands that sign nothing
# (makemigrations, migrate, collectstatic, compilemessages) still run, anything that signs fails on reading
# it, and gunicorn and Celery refuse to start (aftersales.env.require_secret_key).
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-only-for-debug"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "csp",
    "aftersales",
    "accounts",
    "audit",
    "customers",
    "warranty",
    "tickets",
    "notifications",
    "parts",
    "claims",
    "surveys",
    "portal",
    "reports",
    "loadtest",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id; the timing covers all that follows.
    "aftersales.logs.RequestIdMiddleware",
    "aftersales.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aftersales.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request's IP address and user for the audit trail (audit.services.record).
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "aftersales.middleware.PrivateResponseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: answers a locked-out login with its page.
    "axes.middleware.AxesMiddleware",
]

# The one short video a customer may add when reporting a fault in the portal (aftersales.uploads.prepare_video).
MAX_FAULT_VIDEO_BYTES = env_int("MAX_FAULT_VIDEO_MB", 30) * 1024 * 1024

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from our own static files only;
# no inline script, event handler attribute or style attribute (behaviour lives in static/js/). `data:`
# images: Bootstrap's icons in its CSS; `blob:` images: photos waiting in the technician's outbox.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one user name from one address
# the login is refused for AXES_COOLOFF_MINUTES; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, its session user loaded with the branch and roles in one query.
    "accounts.backends.PasswordBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# A wrong password during a lock does not extend it: whoever keeps guessing would keep the owner out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Behind the TLS proxy every request comes from the proxy's address, and one person's wrong passwords
# would lock that user name for everybody. The client is then the right-most address of X-Forwarded-For,
# the one the proxy appends (nginx: `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`);
# addresses left of it came from the client and are ignored. django-ipware counts the proxies listed
# after the client in the header: none (ours is REMOTE_ADDR); not strict, so extra entries are skipped
# instead of making the whole header fall back to the proxy's address.
if env_bool("BEHIND_TLS_PROXY", False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    AXES_IPWARE_PROXY_COUNT = 0
    IPWARE_STRICT = False

# Single sign-on (issue #21, README "Single sign-on"): each way in is on when its settings are set; local
# passwords (PasswordBackend) always stay. A directory's groups decide roles and branch at every login.
# LDAP / Active Directory (accounts.ldap_backend, django-auth-ldap), before the local passwords.
LDAP_SERVER_URI = env_str("LDAP_SERVER_URI", "")
LDAP_ROLE_GROUPS = env_mapping("LDAP_ROLE_GROUPS")
LDAP_BRANCH_GROUPS = env_mapping("LDAP_BRANCH_GROUPS")
LDAP_BRANCH_ATTRIBUTE = env_str("LDAP_BRANCH_ATTRIBUTE", "")
if LDAP_SERVER_URI:
    import ldap
    from django_auth_ldap.config import (
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        NestedActiveDirectoryGroupType,
    )

    AUTH_LDAP_SERVER_URI = LDAP_SERVER_URI
    AUTH_LDAP_BIND_DN = env_str("LDAP_BIND_DN", "")
    AUTH_LDAP_BIND_PASSWORD = env_str("LDAP_BIND_PASSWORD", "")
    AUTH_LDAP_START_TLS = env_bool("LDAP_START_TLS", False)
    AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: 5, ldap.OPT_TIMEOUT: 10, ldap.OPT_REFERRALS: 0}
    # Active Directory: (sAMAccountName=%(user)s), and leave disabled accounts out of the search with
    # (&(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2))).
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        env_str("LDAP_USER_SEARCH_BASE", ""),
        ldap.SCOPE_SUBTREE,
        env_str("LDAP_USER_SEARCH_FILTER", "(uid=%(user)s)"),
    )
    AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    if env_str("LDAP_GROUP_SEARCH_BASE", ""):
        AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
            env_str("LDAP_GROUP_SEARCH_BASE", ""),
            ldap.SCOPE_SUBTREE,
            env_str("LDAP_GROUP_SEARCH_FILTER", "(objectClass=*)"),
        )
        _group_types = {
            "groupOfNames": GroupOfNamesType,
            "groupOfUniqueNames": GroupOfUniqueNamesType,
            "activeDirectory": NestedActiveDirectoryGroupType,
        }
        _group_type = env_str("LDAP_GROUP_TYPE", "groupOfNames")
        if _group_type not in _group_types:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"LDAP_GROUP_TYPE must be one of {', '.join(_group_types)}")
        AUTH_LDAP_GROUP_TYPE = _group_types[_group_type]()
    AUTHENTICATION_BACKENDS.insert(1, "accounts.ldap_backend.DirectoryBackend")

# Generic OpenID Connect (accounts.oidc, mozilla-django-oidc): the 单点登录 button.
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid profile email")
OIDC_CREATE_USER = env_bool("OIDC_CREATE_USER", True)
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_ROLE_GROUPS = env_mapping("OIDC_ROLE_GROUPS")
OIDC_BRANCH_GROUPS = env_mapping("OIDC_BRANCH_GROUPS")
OIDC_BRANCH_CLAIM = env_str("OIDC_BRANCH_CLAIM", "")
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("accounts.oidc.OidcBackend")

# 企业微信 login in the WeCom app (OAuth) and by QR code in a browser (accounts.wecom): a member's
# UserID opens the account that carries it (the user's 企业微信账号 in the admin).
WECOM_CORP_ID = env_str("WECOM_CORP_ID", "")
WECOM_AGENT_ID = env_str("WECOM_AGENT_ID", "")
WECOM_SECRET = env_str("WECOM_SECRET", "")
WECOM_API_BASE = env_str("WECOM_API_BASE", "https://qyapi.weixin.qq.com")
WECOM_OAUTH_URL = env_str("WECOM_OAUTH_URL", "https://open.weixin.qq.com/connect/oauth2/authorize")
WECOM_QR_LOGIN_URL = env_str("WECOM_QR_LOGIN_URL", "https://login.work.weixin.qq.com/wwlogin/sso/login")
WECOM_BRANCH_DEPARTMENTS = env_mapping("WECOM_BRANCH_DEPARTMENTS")
if WECOM_CORP_ID:
    AUTHENTICATION_BACKENDS.append("accounts.wecom.WeComBackend")

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.roles",
                "aftersales.navigation.menu",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# Form widgets render through TEMPLATES, so templates/django/forms/ can replace Django's (the select); the
# commonest (inputs, text areas, selects) are written in Python with the same markup (aftersales.forms).
FORM_RENDERER = "aftersales.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing,
    # and take the write lock at BEGIN so SELECT ... FOR UPDATE style code does not deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A database host that is down must not hold a request (or the readiness probe) for the operating
    # system's TCP timeout (minutes): libpq gives up after this many seconds (at least 2).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3)
    )
# Reads that may lag (reports, exports) go to a streaming replica when there is one: aftersales.replica.
if env_str("REPLICA_DATABASE_URL", ""):
    DATABASES["replica"] = replica_database(
        env_str("REPLICA_DATABASE_URL", ""), conn_max_age=env_int("CONN_MAX_AGE", 60)
    )
DATABASE_ROUTERS = ["aftersales.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
# Each language is named in itself in the switch, so a user can always find the way back.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (tests, `manage.py runserver`), serve straight from the finders.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded and generated files (signatures, photos, videos, attachments) go through Django's storage API:
# under MEDIA_ROOT, or in a private S3-compatible bucket when STORAGE_URL=s3://bucket[/prefix] is set.
# Either way a file reaches a browser only through a view that checked access (uploads.file_response):
# streamed through the app, or, with STORAGE_SIGNED_URL_SECONDS > 0, as a redirect to a link into the
# bucket signed for that many seconds (the bucket must then be reachable by the browsers).
STORAGE_SIGNED_URL_SECONDS = env_int("STORAGE_SIGNED_URL_SECONDS", 0)
FILE_STORAGE = env_file_storage(link_seconds=STORAGE_SIGNED_URL_SECONDS or 300)
if FILE_STORAGE:
    STORAGES["default"] = FILE_STORAGE
    if STORAGE_SIGNED_URL_SECONDS > 0:
        # Photos and videos in the pages follow the redirect to the bucket; the technician's service
        # worker fetches them too (connect-src).
        _bucket = bucket_origins(FILE_STORAGE)
        _directives = CONTENT_SECURITY_POLICY["DIRECTIVES"]
        _directives["img-src"] = [*_directives["img-src"], *_bucket]
        _directives["media-src"] = ["'self'", *_bucket]
        _directives["connect-src"] = [*_directives["connect-src"], *_bucket]

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Probes and the scrape come straight to the instance over plain HTTP (load balancer, Prometheus).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "aftersales@localhost")
# Used by django.core.mail.backends.filebased.EmailBackend (e.g. to look at mail on a test machine).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# Celery: Redis in production; with no CELERY_BROKER_URL the filesystem transport under var/
# lets `make run` start a worker and beat without any server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Two beats may run (two nodes): one leads through a lock in the broker's Redis; when it dies, another
# takes over within this many seconds and a third of them (aftersales.beat).
CELERY_BEAT_SCHEDULER = "aftersales.beat:LeaderScheduler"
BEAT_LOCK_SECONDS = env_float("BEAT_LOCK_SECONDS", 30.0)
# Queues (issue #20): the alerts a person waits for (SLA sweeps, reminders, the outbox's e-mail and SMS)
# never wait behind a long report or export. Workers consume the queues named with -Q (scripts/run.sh,
# docker-compose.yml); a worker started without -Q consumes all three (the load-test stacks, the tests).
# Each queue on its own exchange and key: a message goes to its queue only.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name) for name in ("alerts", "default", "reports")
)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Exact names win over patterns (Celery's MapRoute); anything not listed goes to `default`.
CELERY_TASK_ROUTES = {
    "tickets.tasks.generate_maintenance_visits": {"queue": "default"},
    # A call book of 100,000 rows is checked, imported or undone for minutes: beside the exports.
    "tickets.tasks.check_callbook": {"queue": "reports"},
    "tickets.tasks.import_callbook": {"queue": "reports"},
    "tickets.tasks.undo_callbook": {"queue": "reports"},
    "tickets.tasks.*": {"queue": "alerts"},
    "notifications.tasks.*": {"queue": "alerts"},
    "surveys.tasks.*": {"queue": "alerts"},
    "parts.tasks.backorder_contact_reminders": {"queue": "alerts"},
    "reports.tasks.*": {"queue": "reports"},
}
# A request that queues a task must not hang when Redis is down: fail fast, the retry sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every scheduled task re-derives what is due from the database, so a missed or doubled run is harmless.
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "tickets.tasks.sla_sweep", "schedule": env_float("SLA_SWEEP_SECONDS", 60.0)},
    "retry-deliveries": {
        "task": "notifications.tasks.retry_deliveries",
        "schedule": env_float("DELIVERY_RETRY_SECONDS", 60.0),
    },
    "pickup-reminders": {"task": "tickets.tasks.pickup_reminders", "schedule": 3600.0},
    "late-repair-notices": {"task": "tickets.tasks.late_repair_notices", "schedule": 3600.0},
    # Preventive maintenance: the contracts' planned visits logged ahead (safe to run twice).
    "maintenance-visits": {
        "task": "tickets.tasks.generate_maintenance_visits",
        "schedule": crontab(hour=6, minute=0),
    },
    "contract-expiry-notices": {
        "task": "tickets.tasks.contract_expiry_notices",
        "schedule": crontab(hour=8, minute=0),
    },
    "surveys-morning-call-queue": {
        "task": "surveys.tasks.morning_call_queue",
        "schedule": crontab(hour=8, minute=0),
    },
    "surveys-complaint-plan-reminders": {"task": "surveys.tasks.complaint_plan_reminders", "schedule": 900.0},
    "parts-stock-ledger-check": {
        "task": "parts.tasks.check_stock_ledger",
        "schedule": crontab(hour=2, minute=30),
    },
    # The KPI dashboard reads stored monthly counts and counts live only what came after them.
    "reports-summarise-months": {"task": "reports.tasks.summarise_months", "schedule": 900.0},
    # The quality page likewise (its working hours per ticket are what is worth storing).
    "reports-summarise-quality": {"task": "reports.tasks.summarise_quality_months", "schedule": 3600.0},
    # The monthly quality report for manufacturing, on the 1st (QUALITY_REPORT_RECIPIENTS).
    "reports-send-quality-report": {
        "task": "reports.tasks.send_quality_report",
        "schedule": crontab(day_of_month=1, hour=7, minute=30),
    },
    "accounts-purge-idempotency-records": {
        "task": "accounts.tasks.purge_idempotency_records",
        "schedule": crontab(hour=3, minute=15),
    },
    # Directory accounts no longer in LDAP (or disabled in WeCom) deactivated, the others' roles refreshed.
    "accounts-sync-directory": {"task": "accounts.tasks.sync_directory", "schedule": 3600.0},
    # Long exports (reports.export_jobs): files older than EXPORT_KEEP_DAYS removed, lost ones sent again.
    "reports-purge-exports": {"task": "reports.tasks.purge_exports", "schedule": crontab(minute="*/10")},
    "parts-backorder-contact": {
        "task": "parts.tasks.backorder_contact_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
}

# SLA: the warning comes when this share of a deadline's time is used; the manager is told when a
# breached milestone is still not met this many hours (of the deadline's basis) after it was due.
SLA_WARNING_FRACTION = env_float("SLA_WARNING_FRACTION", 0.8)
SLA_ESCALATION_HOURS = env_float("SLA_ESCALATION_HOURS", 8.0)
# More alerts than this for one person in one sweep batch come as one message counting them.
SLA_DIGEST_AFTER = env_int("SLA_DIGEST_AFTER", 10)
# Pickup reminders (§5 第二十七、二十八条): a notice every N days, ship back after this many notices.
PICKUP_REMINDER_DAYS = env_int("PICKUP_REMINDER_DAYS", 3)
PICKUP_NOTICES_BEFORE_SHIP_BACK = env_int("PICKUP_NOTICES_BEFORE_SHIP_BACK", 3)
# Late store repairs (§5 第二十六条): tell the customer this many hours before the promised time.
LATE_REPAIR_NOTICE_HOURS = env_int("LATE_REPAIR_NOTICE_HOURS", 24)
# Follow-up calls (§2-三-2): days after acceptance (a week, a month, three months, half a year and a year);
# unanswered tries before 无法联系; survey link life.
FOLLOW_UP_OFFSETS_DAYS = tuple(
    int(days) for days in env_list("FOLLOW_UP_OFFSETS_DAYS", ["7", "30", "91", "182", "365"])
)
FOLLOW_UP_MAX_ATTEMPTS = env_int("FOLLOW_UP_MAX_ATTEMPTS", 3)
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 30)
# Complaints (§2-二-2(2)): the handling plan is due this many clock hours after the complaint (on the clock:
# the seed does not say 上班时间).
COMPLAINT_PLAN_HOURS = env_int("COMPLAINT_PLAN_HOURS", 72)
# Maintenance contracts (§7-二十): expiry notice this many days before the end.
CONTRACT_EXPIRY_NOTICE_DAYS = env_int("CONTRACT_EXPIRY_NOTICE_DAYS", 30)

# Long exports (issue #20): a ticket list longer than this is exported by a worker with a progress bar
# (shorter ones stream at once); an export's file is kept this many days.
EXPORT_DIRECT_MAX_ROWS = env_int("EXPORT_DIRECT_MAX_ROWS", 2000)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)

# KPI targets in percent (§1-3.2.1): timeliness and satisfaction at least, service-caused complaints below.
KPI_TARGETS = {
    "timeliness": env_float("KPI_TARGET_TIMELINESS", 90),
    "satisfaction": env_float("KPI_TARGET_SATISFACTION", 85),
    "complaint_rate": env_float("KPI_MAX_COMPLAINT_RATE", 3),
}
# Yuan per labour hour, to value free (category C) service hours in the warranty cost KPI.
WARRANTY_LABOUR_RATE = env_float("WARRANTY_LABOUR_RATE", 80)

# Notifications: links in e-mail, WeCom and texted messages start with SITE_URL. Unset, it is where
# `make run` serves (scripts/run.sh: HOST and PORT), so `PORT=9000 make run` sends working links; a
# HOST of 0.0.0.0 (every interface) is no address to send, 127.0.0.1 stands for it.
_RUN_HOST = env_str("HOST", "") or "127.0.0.1"
SITE_URL = env_str(
    "SITE_URL", f"http://{'127.0.0.1' if _RUN_HOST == '0.0.0.0' else _RUN_HOST}:{env_int('PORT', 8000)}"
)
WECOM_WEBHOOK_URL = env_str("WECOM_WEBHOOK_URL", "")
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.channels.LoggingSmsBackend")
# WeChat Official Account template messages to customers (notifications.wechat): off while WECHAT_BACKEND
# is empty; "notifications.wechat.OfficialAccountBackend" sends them through WECHAT_API_BASE.
WECHAT_BACKEND = env_str("WECHAT_BACKEND", "")
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com")
WECHAT_APP_ID = env_str("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET", "")
WECHAT_TEMPLATE_ID = env_str("WECHAT_TEMPLATE_ID", "")
# The template's field that carries the message's text ({{first.DATA}} in a classic template).
WECHAT_TEMPLATE_FIELD = env_str("WECHAT_TEMPLATE_FIELD", "first")

# Outbound webhooks (notifications.webhooks): seconds to connect and to wait for each read of the
# receiver's answer; and whether endpoints on loopback, private or link-local addresses (an ERP on the
# intranet) may be sent to — off, a registered URL cannot reach the server's own network.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)

# One write per intent (accounts/idempotency.py): the answer to a form's key is kept this many days.
IDEMPOTENCY_KEY_DAYS = env_int("IDEMPOTENCY_KEY_DAYS", 7)

# API tokens (accounts.ApiToken) expire this many days after `POST /api/v1/auth/token` issued them.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Requests per user, and per address for anonymous ones (the token endpoint): over it, 429.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "30/minute"),
        "user": env_str("API_THROTTLE_USER", "300/minute"),
    },
    # Behind the TLS proxy the anonymous client's address is the right-most X-Forwarded-For entry.
    "NUM_PROXIES": 1 if env_bool("BEHIND_TLS_PROXY", False) else None,
    # DRF's three, the JSON one bounded (a body nested 5,000 deep is a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "aftersales.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Every list names its pagination: aftersales.drf.Cursor (`?cursor=`, `?ordering=`, `?page_size=`).
    # No default (a page-number one slipped into the ticket and parts lists); it cannot be the Cursor
    # itself, whose module DRF's settings would import while DRF is still loading.
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "aftersales.drf.AutoSchema",
    "EXCEPTION_HANDLER": "aftersales.drf.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "aftersales API",
    "DESCRIPTION": "After-sales service: repair tickets, warranty verdicts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components (`TicketCreateRequest`): read-only fields are not asked of
    # a client generated from the schema (openapi-python-client required the token to ask for one).
    "COMPONENT_SPLIT_REQUEST": True,
    # The API speaks JSON (forms are still parsed, for the pages' own scripts): one request body per
    # operation, which generated clients handle (openapi-python-client broke on three alternatives).
    "PARSER_WHITELIST": ["aftersales.parsers.JSONParser"],
    # Swagger UI is served from our own static files, never from a CDN (closed intranets).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TicketStateEnum": "tickets.models.State",
        "SurveyLevelEnum": "surveys.scoring.Level",
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "ClaimKindEnum": "claims.models.ClaimKind",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "AttachmentKindEnum": "claims.models.AttachmentKind",
        "RequisitionStateEnum": "parts.models.Requisition.State",
        "ComplaintSeverityEnum": "surveys.models.Severity",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aftersales.drf.document_error_responses",
    ],
}

COMPANY_NAME = env_str("COMPANY_NAME", "示例电器有限公司")
# Who gets the monthly quality report for manufacturing on the 1st (comma-separated e-mail addresses;
# none: it is not sent, the quality page still downloads it).
QUALITY_REPORT_RECIPIENTS = env_list("QUALITY_REPORT_RECIPIENTS", [])
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo12345")
TICKET_DEFAULT_DUE_HOURS = env_int("TICKET_DEFAULT_DUE_HOURS", 24)

# Prometheus' scrape of /metrics (aftersales.operations): a bearer token and/or the networks it may come
# from; with neither, there is no /metrics (404).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS")

# Logs: readable text by default (`make run`), one JSON object per line with LOG_FORMAT=json (docker-compose);
# every line has the request id (aftersales.logs), also in the Celery tasks a request queued.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ["text", "json"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "aftersales.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "aftersales.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The default SMS backend (LoggingSmsBackend) has no other output: a customer's sign-in code must reach
    # the log even where the root logs warnings only (`make run`'s worker: --loglevel=WARNING).
    "loggers": {"notifications.channels": {"level": "INFO"}},
}

# Errors to Sentry (or a compatible server, e.g. GlitchTip) when SENTRY_DSN is set; otherwise sentry-sdk
# is not even imported. No personal data (send_default_pii=False): customers' names and phones stay here.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from aftersales.logs import tag_sentry_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE", "") or None,
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        before_send=tag_sentry_event,
    )
