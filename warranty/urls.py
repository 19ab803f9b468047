from django.urls import path

from warranty import views

app_name = "warranty"
urlpatterns = [
    path("contracts/expiring/", views.expiring_contracts, name="expiring_contracts"),
]
