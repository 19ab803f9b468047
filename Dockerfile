# The production image: the same code runs web (gunicorn), worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-wqy-microhei gcc libc6-dev libldap-dev libsasl2-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN SECRET_KEY=build-only python manage.py compilemessages -v 0 \
 && SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0 \
 && useradd --system --home /app aftersales && mkdir -p /app/var/prometheus /app/media && chown -R aftersales /app/var /app/media
USER aftersales
EXPOSE 8000
CMD ["gunicorn", "aftersales.wsgi", "--config", "python:aftersales.gunicorn_conf", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
