from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("calls/", views.call_queue, name="call_queue"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("calls/<int:pk>/link/", views.call_link, name="call_link"),
    path("s/thanks/", views.survey_thanks, name="thanks"),
    path("s/<str:token>/", views.survey_answer, name="answer"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/<slug:step>/", views.complaint_step, name="complaint_step"),
]
