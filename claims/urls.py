from django.urls import path

from claims import finance_views, inbox_views, views

app_name = "claims"
urlpatterns = [
    path("approvals/", inbox_views.inbox, name="approvals"),
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/new/<int:ticket_pk>/", views.claim_new, name="claim_new"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="claim_decide"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/<int:pk>/reassign/", views.claim_reassign, name="claim_reassign"),
    path("claims/<int:pk>/attachments/", views.claim_attach, name="claim_attach"),
    path(
        "claims/<int:pk>/attachments/<int:attachment_id>/",
        views.claim_attachment,
        name="claim_attachment",
    ),
    path("claims/<int:pk>/write-off-form.pdf", views.claim_pdf, name="claim_pdf"),
    path("finance/write-offs/", finance_views.write_offs, name="write_offs"),
    path("finance/write-offs/<int:pk>/book/", finance_views.write_off_book, name="write_off_book"),
    path("finance/fees/", finance_views.fees, name="fees"),
    path("finance/fees/<int:report_id>/receive/", finance_views.fee_receive, name="fee_receive"),
    path("finance/fees/handovers/<int:pk>/invoice/", finance_views.fee_invoice, name="fee_invoice"),
    path("finance/takings/", finance_views.takings, name="takings"),
    path("fee-quotes/new/<int:ticket_pk>/", finance_views.fee_quote, name="fee_quote"),
]
