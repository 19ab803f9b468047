from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("quality/", views.quality, name="quality"),
    path("quality/report.<str:fmt>", views.quality_export, name="quality_export"),
    path("monthly/", views.monthly, name="monthly"),
    path("monthly/report.<str:fmt>", views.monthly_export, name="monthly_export"),
    path("daily/technician/", views.technician_daily, name="technician_daily"),
    path("daily/technician.pdf", views.technician_daily_pdf, name="technician_daily_pdf"),
    path("daily/branch/", views.branch_daily, name="branch_daily"),
    path("daily/branch.pdf", views.branch_daily_pdf, name="branch_daily_pdf"),
    path("call-register/", views.call_register, name="call_register"),
    path("call-register/register.<str:fmt>", views.call_register_export, name="call_register_export"),
    path("tickets.<str:fmt>", views.ticket_export, name="ticket_export"),
    path("monthly/export/", views.monthly_export_start, name="monthly_export_start"),
    path("tickets/export/", views.ticket_export_start, name="ticket_export_start"),
    path("exports/", views.my_exports, name="exports"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download", views.export_download, name="export_download"),
]
