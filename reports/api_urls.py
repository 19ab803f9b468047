from django.urls import path

from reports import api

urlpatterns = [
    path("kpis", api.KpiView.as_view(), name="api-kpis"),
    path("monthly-report", api.MonthlyReportView.as_view(), name="api-monthly-report"),
    path("monthly-report/pdf", api.MonthlyReportPdf.as_view(), name="api-monthly-report-pdf"),
    path("monthly-report/xlsx", api.MonthlyReportXlsx.as_view(), name="api-monthly-report-xlsx"),
    path("monthly-report/csv", api.MonthlyReportCsv.as_view(), name="api-monthly-report-csv"),
]
