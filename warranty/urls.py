from django.urls import path

from warranty import approvals, claim_views, finance, views

app_name = "warranty"
urlpatterns = [
    path("preview/", views.verdict_preview, name="preview"),
    path("contracts/expiring/", views.expiring_contracts, name="expiring_contracts"),
    path("approvals/", approvals.inbox, name="approvals"),
    path("claims/", claim_views.claim_list, name="claim_list"),
    path("claims/new/<int:ticket_pk>/", claim_views.claim_new, name="claim_new"),
    path("claims/<int:pk>/", claim_views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/decide/", claim_views.claim_decide, name="claim_decide"),
    path("claims/<int:pk>/attachments/", claim_views.claim_attach, name="claim_attach"),
    path(
        "claims/<int:pk>/attachments/<int:attachment_id>/",
        claim_views.claim_attachment,
        name="claim_attachment",
    ),
    path("claims/<int:pk>/write-off-form.pdf", claim_views.claim_pdf, name="claim_pdf"),
    path("finance/write-offs/", finance.write_offs, name="write_offs"),
    path("finance/write-offs/<int:pk>/book/", finance.write_off_book, name="write_off_book"),
    path("finance/fees/", finance.fees, name="fees"),
    path("finance/fees/<int:report_id>/receive/", finance.fee_receive, name="fee_receive"),
    path("finance/fees/handovers/<int:pk>/invoice/", finance.fee_invoice, name="fee_invoice"),
    path("finance/takings/", finance.takings, name="takings"),
    path("fee-quotes/new/<int:ticket_pk>/", finance.fee_quote, name="fee_quote"),
]
