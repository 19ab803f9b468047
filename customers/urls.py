from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_index, name="list"),
    path("search/", views.search, name="search"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
]
