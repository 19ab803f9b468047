from django.urls import path

from parts import api

urlpatterns = [
    path("parts", api.PartList.as_view(), name="api-parts"),
    path("parts/my-van", api.MyVanStock.as_view(), name="api-parts-my-van"),
    path("stock-levels", api.StockLevelList.as_view(), name="api-stock-levels"),
    path("stock-movements", api.StockMovementList.as_view(), name="api-stock-movements"),
]
