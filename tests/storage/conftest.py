"""The bucket's fixtures (tests/s3.py), and those of other folders that these tests use."""

from tests.portal.conftest import customer, sms  # noqa: F401 (the customer's channel, for fault photos)
from tests.s3 import bucket, s3_server  # noqa: F401
from tests.test_backup import restored_database  # noqa: F401 (a second database to restore into)
