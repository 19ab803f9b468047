from django.urls import path

from warranty import views

app_name = "warranty"
urlpatterns = [
    path("preview/", views.verdict_preview, name="preview"),
    path("contracts/expiring/", views.expiring_contracts, name="expiring_contracts"),
]
