from django.urls import path

from warranty import api

urlpatterns = [
    path("warranty/check", api.warranty_check, name="api-warranty-check"),
]
