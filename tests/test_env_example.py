"""`.env.example` is a file a shell can source, and the settings read from the sourced environment are
the values the file shows (issue #15)."""

import json
import os
import subprocess
import sys

from tests.env_example import ROOT, read_env_example

READ_SETTINGS = """
import json, os
from django.conf import settings
print(json.dumps({
    "environment": {key: os.environ.get(key) for key in json.loads(os.environ["KEYS"])},
    "settings": {
        "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
        "COMPANY_NAME": settings.COMPANY_NAME,
        "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
        "AXES_FAILURE_LIMIT": settings.AXES_FAILURE_LIMIT,
        "FOLLOW_UP_OFFSETS_DAYS": settings.FOLLOW_UP_OFFSETS_DAYS,
    },
}))
"""


def test_bash_sources_the_file_and_the_settings_read_its_values():
    expected = read_env_example()
    environment = {key: value for key, value in os.environ.items() if key not in expected}
    environment |= {"KEYS": json.dumps(sorted(expected)), "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
    result = subprocess.run(
        [
            "bash",
            "-c",
            'set -eu; set -a; . ./.env.example; set +a; exec "$0" -c "$1"',
            sys.executable,
            READ_SETTINGS,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout.splitlines()[-1])
    assert read["environment"] == expected
    assert read["settings"] == {
        "DEFAULT_FROM_EMAIL": "售后服务 <aftersales@example.cn>",
        "COMPANY_NAME": "示例电器有限公司",
        "ALLOWED_HOSTS": ["aftersales.example.cn", "localhost"],
        "AXES_FAILURE_LIMIT": 5,
        "FOLLOW_UP_OFFSETS_DAYS": [7, 30, 91, 182, 365],
    }
