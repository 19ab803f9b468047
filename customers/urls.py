from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
]
