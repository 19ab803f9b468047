from django.urls import path

from tickets import api

urlpatterns = [
    path("units/<str:serial>/warranty", api.unit_warranty, name="api-unit-warranty"),
]
