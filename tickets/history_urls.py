from django.urls import path

from tickets import history_views

app_name = "history"
urlpatterns = [
    path("<int:pk>/", history_views.customer_detail, name="customer"),
    path("units/<int:pk>/", history_views.unit_detail, name="unit"),
    path("contracts/<int:pk>/", history_views.contract_detail, name="contract"),
]
