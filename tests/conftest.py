"""Shared fixtures: named personas in two branches, and the rules for tests that need a service.

In CI (CI=true) nothing is skipped: a missing PostgreSQL or Chromium fails the run. Elsewhere a test
that needs one is skipped with a reason that says what is missing.
"""

from __future__ import annotations

import importlib
import os
import shutil

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import TestCase, TransactionTestCase
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import validate_django_db
from xdist.scheduler import LoadScopeScheduling

from accounts.models import Role
from tests.accounts.factories import BranchFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
ROLE_MIGRATIONS = [
    "customers.migrations.0004_role_permissions",
    "tickets.migrations.0009_role_permissions",
    "warranty.migrations.0007_role_permissions",
    "audit.migrations.0002_append_only",
]

# Hypothesis in CI draws the same examples on every run (seeded from each test), so a red build is
# reproducible and never a new draw; elsewhere it keeps exploring. Loaded here, before any test module
# builds its own settings on top, and by the CI=true above rather than Hypothesis' own detection (which
# also fires on CI=false).
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci" if IN_CI else "default")


# `make test` runs the suite in two processes (pytest-xdist), each on its own test database. The test
# modules below share what is not per process (the Celery broker's Redis database, the replica's port, a
# whole stack), so ServicesTogether sends them to one process as one unit, run one after another; every
# other test is a unit of its own, as with `--dist load`. (xdist's own `--dist loadgroup` marks do not
# group under pytest 9: xdist 3.8 renames `item._nodeid`, which pytest 9 no longer reads.)
SERVICE_PATHS = (
    "tests/integration/",
    "tests/loadtest/test_scale.py",
    "tests/loadtest/test_soak.py",
    "tests/browser/test_admin_exports.py",
    "tests/browser/test_callbook.py",
    "tests/operations/test_health.py",
    "tests/operations/test_metrics.py",
    "tests/operations/test_metrics_processes.py",
    "tests/operations/test_request_id.py",
    "tests/reports/test_export_jobs.py",
)


class ServicesTogether(LoadScopeScheduling):
    """The services as one unit; the units given out in the order of the collection, where
    `pytest_collection_modifyitems` below has put the services' tests where they may run."""

    def _split_scope(self, nodeid: str) -> str:
        return "services" if nodeid.startswith(SERVICE_PATHS) else nodeid


def pytest_xdist_make_scheduler(config, log):
    # Not sorted by size, which would give the services' unit out first (its flushes would empty the
    # migrations' rows before its process went on with tests that need them).
    config.option.loadscopereorder = False
    return ServicesTogether(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The services' tests as one block between the tests in a rolled-back transaction and those whose
    data is committed and flushed after (pytest-django has sorted the tests in that order, then those
    without the database). Flushing empties the tables of the migrations' rows, so the tests of the
    first kind must all have run in a process before its first flush; and the services' unit, some
    minutes long, runs beside the other process's committed and database-free tests instead of alone at
    the end. The order within the block is kept: its own rolled-back tests first."""
    services = [item for item in items if item.nodeid.startswith(SERVICE_PATHS)]
    others = [item for item in items if not item.nodeid.startswith(SERVICE_PATHS)]
    boundary = next(
        (i for i, item in enumerate(others) if not _runs_in_a_rolled_back_transaction(item)), len(others)
    )
    items[:] = others[:boundary] + services + others[boundary:]


def _runs_in_a_rolled_back_transaction(item: pytest.Item) -> bool:
    """pytest-django's first kind: a database test that is not transactional (the rule of its sort, with
    its own reading of the `django_db` mark)."""
    test_class = getattr(item, "cls", None)
    if test_class and issubclass(test_class, TransactionTestCase):
        return issubclass(test_class, TestCase)
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transaction, reset_sequences, *_rest = validate_django_db(marker) if marker else (False, False)
    if (
        transaction
        or reset_sequences
        or fixtures & {"transactional_db", "live_server", "django_db_reset_sequences"}
    ):
        return False
    return marker is not None or "db" in fixtures


def require(condition: bool, what_is_missing: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide {what_is_missing}")
    pytest.skip(f"needs {what_is_missing}")


@pytest.fixture
def postgres(db):
    require(connection.vendor == "postgresql", "PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(path), "Debian's chromium (apt-get install chromium)")
    return path


@pytest.fixture(scope="session", autouse=True)
def flush_by_delete():
    """A transactional test ends with every table emptied (pytest-django's flush). PostgreSQL's TRUNCATE of
    the ~100 tables takes seconds (new files for each table and index: 4 s on a loaded 2-core machine),
    DELETE of the few rows a test wrote takes milliseconds. With the triggers off for the flush's own
    transaction (session_replication_role: the foreign keys' checks and the append-only tables' guards),
    the order does not matter, and the tables end as empty as TRUNCATE leaves them. Needs a superuser
    (CI's postgres); otherwise, or when sequences are to be reset, Django's TRUNCATE."""
    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if tables and not reset_sequences:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                if cursor.fetchone()[0]:
                    return [
                        "SET LOCAL session_replication_role = replica;",
                        *(f"DELETE FROM {self.quote_name(table)};" for table in tables),
                        "SET LOCAL session_replication_role = DEFAULT;",
                    ]
        return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests flush every table, also what the data migrations wrote: write it again."""
    from django.apps import apps

    importlib.import_module("accounts.migrations.0002_roles").create_role_groups(apps)
    for migration in ROLE_MIGRATIONS:
        importlib.import_module(migration).grant_role_permissions(apps)
    importlib.import_module("warranty.migrations.0002_presets").create_presets(apps, None)
    importlib.import_module("tickets.migrations.0006_default_sla_policies").create_defaults(apps, None)
    importlib.import_module("tickets.migrations.0012_urgent_and_remote_sla_policies").add_policies(apps, None)


@pytest.fixture
def shared_database(reference_data):
    """The test database as a URL for processes started by the test (its rows committed: transactional)."""
    require(connection.vendor == "postgresql", "PostgreSQL: set DATABASE_URL=postgres://…")
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def celery_processes(shared_database, tmp_path, monkeypatch):
    """Start real Celery workers and beat (tests/celery_workers.py) on the test's database and broker; this
    process's app sends to the same broker while the test runs."""
    import redis

    from aftersales.celery import app
    from tests.celery_workers import BROKER, Processes, environment, redis_answers, reset_producer_pool

    require(redis_answers(BROKER), "Redis on 127.0.0.1:6379")
    # Celery reads CELERY_BROKER_URL from the environment before any configuration (CI sets it), so
    # this process's apps talk to the test's broker only if the variable says so.
    monkeypatch.setenv("CELERY_BROKER_URL", BROKER)
    reset_producer_pool(app)
    redis.Redis.from_url(BROKER).flushdb()
    processes = Processes(environment(shared_database, BROKER, tmp_path), tmp_path)
    yield processes
    processes.stop()
    reset_producer_pool(app)
    redis.Redis.from_url(BROKER).flushdb()


@pytest.fixture
def branch_a(db):
    return BranchFactory(code="SH", name="上海分公司")


@pytest.fixture
def branch_b(db):
    return BranchFactory(code="HZ", name="杭州服务站")


@pytest.fixture
def headquarters(db):
    return BranchFactory(code="HQ", name="总部", headquarters=True)


@pytest.fixture
def persona(branch_a):
    """persona(role, branch=branch_a, username=None): a user with one role."""

    def make(role: str, branch=None, username: str | None = None):
        return UserFactory(
            username=username or f"{role}_{(branch or branch_a).code}".lower(),
            branch=branch or branch_a,
            roles=[role],
        )

    return make


@pytest.fixture
def dispatcher(persona):
    return persona(Role.DISPATCHER)


@pytest.fixture
def technician(persona):
    return persona(Role.TECHNICIAN)


@pytest.fixture
def supervisor(persona):
    return persona(Role.SUPERVISOR)


@pytest.fixture(autouse=True)
def test_settings(settings, tmp_path):
    """Fast password hashing, static files served from the source tree (no collectstatic), uploaded
    files (signatures, photos) written to the test's own temporary directory, and the API's request
    counts (throttling, in the cache) started afresh."""
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Simplified Chinese): a request in English leaves the
    thread's language active after the response, and a later test's messages would read in English."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)
