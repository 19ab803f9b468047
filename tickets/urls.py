from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("board/", views.dispatch_board, name="dispatch_board"),
    path("mine/", views.my_jobs, name="my_jobs"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/do/<slug:name>/", views.ticket_transition, name="transition"),
    path("<int:pk>/revise-fault/", views.ticket_revise_fault, name="revise_fault"),
]
