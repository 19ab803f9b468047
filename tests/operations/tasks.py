"""A task only the tests queue (a worker loads it with `--include tests.operations.tasks`)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

QUEUE = "operations-tests"  # a queue of its own: no other worker of the test run takes its messages


@shared_task(name="tests.operations.tasks.log_a_line")
def log_a_line(text: str) -> None:
    logger.warning("task says %s", text)
