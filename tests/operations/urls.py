"""Views only the tests serve (`pytest.mark.urls`, or ROOT_URLCONF in a subprocess)."""

import logging

from django.http import HttpResponse
from django.urls import path

from tests.operations.tasks import QUEUE, log_a_line

logger = logging.getLogger(__name__)


def queue_a_task(request):
    logger.warning("view queues a task")
    log_a_line.apply_async(["hello"], queue=QUEUE)
    return HttpResponse("queued")


def fail(request):
    raise ZeroDivisionError("a view that fails on purpose")


urlpatterns = [
    path("queue", queue_a_task, name="queue-a-task"),
    path("fail", fail, name="fail"),
]
