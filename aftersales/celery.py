import os

from celery import Celery, signals

from aftersales import logs

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
