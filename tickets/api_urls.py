from django.urls import path

from tickets import api

urlpatterns = [
    path("goods-register", api.GoodsRegisterList.as_view(), name="api-goods-register"),
    path("units/<str:serial>/warranty", api.unit_warranty, name="api-unit-warranty"),
]
