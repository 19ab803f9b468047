import os

from django.core.wsgi import get_wsgi_application

from aftersales.env import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
application = get_wsgi_application()
require_secret_key()  # gunicorn's workers fail to boot rather than serve without a key
