import os

from celery import Celery, bootsteps, signals

from aftersales import logs
from aftersales.env import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

app = Celery("aftersales")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id follows a request into the tasks it queues (aftersales.logs); the worker's own log
# handlers get it too, and the JSON format with LOG_FORMAT=json.
signals.before_task_publish.connect(logs.add_request_id_header, weak=False)
signals.task_prerun.connect(logs.restore_request_id, weak=False)
signals.task_postrun.connect(logs.forget_request_id, weak=False)
signals.after_setup_logger.connect(logs.configure_celery_handlers, weak=False)
signals.after_setup_task_logger.connect(logs.configure_celery_handlers, weak=False)


class RequireSecretKey(bootsteps.Step):
    """The worker does not start without SECRET_KEY, as the web does not (aftersales.wsgi): its tasks sign
    links and codes. A step, because Celery logs and ignores what a worker_init handler raises. Beat signs
    nothing and only queues the tasks this worker then refuses to run."""

    def __init__(self, parent, **options) -> None:
        require_secret_key()
        super().__init__(parent, **options)


app.steps["worker"].add(RequireSecretKey)
