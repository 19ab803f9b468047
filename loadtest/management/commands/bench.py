"""`manage.py bench`: seed a PostgreSQL bench database, then time the main pages against a floor
(loadtest.bench.suite does the work; this command reads the arguments and picks the process).

Why a subprocess: settings read DATABASE_URL once, at import, and every view and service uses the
`default` alias. Rather than repoint a live connection or route the app through a second alias,
the command re-executes itself with DATABASE_URL set to the bench database (and DEBUG off, the
production shape); the child finds that its default database *is* the bench database and does
the work. Run with DATABASE_URL already pointing at the bench database, it works in-process.

The bench database is created if missing, migrated, seeded once per ticket count (`--reseed` to
force) and left in place for the next run; nothing else is created or touched.
"""

from __future__ import annotations

import os
import subprocess
import sys

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from loadtest.bench import BenchError, seed, suite

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench"
IDENTITY_KEYS = ("ENGINE", "NAME", "HOST", "PORT", "USER")


class Command(BaseCommand):
    help = "Seed a PostgreSQL bench database with tickets and print server time per page (see docs/performance.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL,
            help=f"PostgreSQL database to seed and measure (default: $BENCH_DATABASE_URL or {DEFAULT_URL})",
        )
        parser.add_argument(
            "--tickets", type=int, default=1_000_000, help="tickets to seed (default 1,000,000)"
        )
        parser.add_argument("--reseed", action="store_true", help="seed again even if the count matches")
        parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
        parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per page (default 20)")
        parser.add_argument(
            "--part",
            choices=["all", *suite.PARTS],
            default="all",
            help="what to measure: the pages in-process, the SLA sweep, the pure rules, the KPI dashboard and monthly exports, the pages through gunicorn under load (http), requests/s at saturation against the floor (throughput), or all (default)",
        )
        parser.add_argument("--http-users", type=int, default=50, help="simulated users of --part http (50)")
        parser.add_argument("--http-minutes", type=float, default=5, help="minutes of --part http (5)")
        parser.add_argument(
            "--throughput-users", type=int, default=20, help="simulated users of --part throughput (20)"
        )
        parser.add_argument(
            "--throughput-seconds", type=int, default=60, help="seconds of each run of --part throughput (60)"
        )
        parser.add_argument(
            "--pages",
            default="",
            help="with --part pages: only the pages whose label contains this text, e.g. 'search' "
            "(the floor is always timed)",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="print EXPLAIN (ANALYZE, BUFFERS) of the two slowest queries of each page",
        )

    def handle(self, *args, **options) -> None:
        if (
            min(
                options[key]
                for key in ("tickets", "requests", "warmup", "throughput_users", "throughput_seconds")
            )
            < 1
        ):
            raise CommandError(
                "--tickets, --requests, --warmup and the throughput options must be at least 1"
            )
        bench_db = self._parse(options["database_url"])
        if self._is_default(bench_db):
            self._run(bench_db, options)
        else:
            self._reexecute(options)

    @staticmethod
    def _parse(url: str) -> dict:
        try:
            db = dj_database_url.parse(url)
        except ValueError as exc:
            raise CommandError(f"cannot read the bench database URL {url!r}: {exc}") from exc
        if db.get("ENGINE") != "django.db.backends.postgresql":
            raise CommandError(
                f"The benchmark runs on PostgreSQL only (its figures mean nothing on {db.get('ENGINE')}). "
                "Give --database-url or BENCH_DATABASE_URL as postgres://user@host:5432/aftersales_bench."
            )
        if db["NAME"] in seed.PROTECTED_DATABASES:
            raise CommandError(f"refusing to seed the {db['NAME']!r} database; name a bench database")
        return db

    @staticmethod
    def _is_default(bench_db: dict) -> bool:
        current = settings.DATABASES["default"]
        return all(str(current.get(key) or "") == str(bench_db.get(key) or "") for key in IDENTITY_KEYS)

    def _reexecute(self, options: dict) -> None:
        argv = [
            sys.executable,
            "-m",
            "django",
            "bench",
            f"--database-url={options['database_url']}",
            f"--tickets={options['tickets']}",
            f"--requests={options['requests']}",
            f"--warmup={options['warmup']}",
            f"--part={options['part']}",
            f"--http-users={options['http_users']}",
            f"--http-minutes={options['http_minutes']}",
            f"--throughput-users={options['throughput_users']}",
            f"--throughput-seconds={options['throughput_seconds']}",
            f"--pages={options['pages']}",
        ]
        argv += ["--reseed"] * options["reseed"] + ["--explain"] * options["explain"]
        env = {**os.environ, "DATABASE_URL": options["database_url"], "DEBUG": "0"}
        env.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
        env.setdefault("SECRET_KEY", "bench-only")
        completed = subprocess.run(argv, cwd=settings.BASE_DIR, env=env, check=False)
        if completed.returncode:
            raise CommandError(f"the bench run failed (exit status {completed.returncode})")

    def _run(self, bench_db: dict, options: dict) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL only.")
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: every query is recorded, the figures will be pessimistic.")
        try:
            suite.run(
                bench_db,
                tickets=options["tickets"],
                reseed=options["reseed"],
                part=options["part"],
                requests=options["requests"],
                warmup=options["warmup"],
                explain=options["explain"],
                only_pages=options["pages"],
                http_users=options["http_users"],
                http_minutes=options["http_minutes"],
                throughput_users=options["throughput_users"],
                throughput_seconds=options["throughput_seconds"],
                log=self.stdout.write,
                warn=lambda text: self.stdout.write(self.style.WARNING(text)),
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
