"""The app's settings with the floor view added to its URLs (loadtest.bench.pages): what `--part throughput`
serves through gunicorn, so that the trivial logged-in view and the pages answer from the same processes."""

from aftersales.settings import *  # noqa: F403

ROOT_URLCONF = "loadtest.bench.pages"
