"""Every model of the project is in the admin (on its own page or inline), and its pages open."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

PROJECT_APPS = ("accounts", "audit", "customers", "tickets", "warranty", "parts", "surveys", "notifications")


def project_models():
    return [model for app in PROJECT_APPS for model in apps.get_app_config(app).get_models()]


def inline_models():
    return {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}


@pytest.mark.parametrize("model", project_models(), ids=lambda model: model._meta.label)
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model) or model in inline_models(), model._meta.label


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [m for m in project_models() if admin.site.is_registered(m)], ids=lambda model: model._meta.label
)
def test_its_changelist_opens_and_searches(client, django_user_model, model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, {"q": "x"}).status_code == 200


@pytest.mark.django_db
def test_the_browsers_favicon_request_gets_the_apps_icon(client):
    """The admin's pages have no icon link, so browsers ask for /favicon.ico: it was a 404 in every log."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/icon-192.png")
    assert client.get(response["Location"]).status_code == 200
    assert client.head("/favicon.ico").status_code == 301
