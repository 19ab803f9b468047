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

from aftersales.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("AFTERSALES_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The environment wins; on a machine where `make run` has run, its generated key in var/ lets
# `manage.py` commands work without exporting anything.
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and (VAR_DIR / "secret_key").is_file():
    SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aftersales.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
    "django.contrib.auth.backends.ModelBackend",
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

# Form widgets render through TEMPLATES, so templates/django/forms/ can replace Django's (the select).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The default SMS backend (LoggingSmsBackend) has no other output: a customer's sign-in code must reach
    # the log even where the root logs warnings only (`make run`'s worker: --loglevel=WARNING).
    "loggers": {"notifications.channels": {"level": "INFO"}},
}
