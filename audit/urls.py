from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("audit.<str:fmt>", views.audit_export, name="export"),
]
