from django.urls import path

from tickets import report_views, return_views, sla_views, verdict_views, views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("filters/", views.save_filter, name="save_filter"),
    path("filters/<int:pk>/delete/", views.delete_filter, name="delete_filter"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("new/verdict/", verdict_views.verdict_preview, name="verdict_preview"),
    path("board/", views.dispatch_board, name="dispatch_board"),
    path("mine/", views.my_jobs, name="my_jobs"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/do/<slug:name>/", views.ticket_transition, name="transition"),
    path("<int:pk>/depart/", views.ticket_depart, name="depart"),
    path("<int:pk>/appointment/", views.ticket_appointment, name="appointment"),
    path("<int:pk>/revise-fault/", views.ticket_revise_fault, name="revise_fault"),
    path("<int:pk>/contact/", sla_views.record_contact, name="record_contact"),
    path("<int:pk>/clock/pause/", sla_views.pause_clock, name="pause_clock"),
    path("<int:pk>/clock/resume/", sla_views.resume_clock, name="resume_clock"),
    path("<int:pk>/report/", report_views.report, name="report"),
    path("<int:pk>/report/step/<int:step>/", report_views.report_step, name="report_step"),
    path("<int:pk>/report/parts/", report_views.report_add_part, name="report_add_part"),
    path(
        "<int:pk>/report/parts/<int:part_id>/delete/",
        report_views.report_remove_part,
        name="report_remove_part",
    ),
    path("<int:pk>/report/photos/", report_views.report_add_photo, name="report_add_photo"),
    path(
        "<int:pk>/report/photos/<int:photo_id>/delete/",
        report_views.report_remove_photo,
        name="report_remove_photo",
    ),
    path("<int:pk>/report/sign/", report_views.report_sign, name="report_sign"),
    path("<int:pk>/report/addendum/", report_views.report_addendum, name="report_addendum"),
    path("<int:pk>/return/approve/", return_views.return_approve, name="return_approve"),
    path("<int:pk>/return/finish/", return_views.return_finish, name="return_finish"),
    path("<int:pk>/return/hand-over/", return_views.return_hand_over, name="return_hand_over"),
    path("<int:pk>/return/ship-back/", return_views.return_ship_back, name="return_ship_back"),
    path("<int:pk>/return/receipt.pdf", return_views.pickup_receipt, name="pickup_receipt_pdf"),
    path("<int:pk>/return/tag.pdf", return_views.repair_tag, name="repair_tag_pdf"),
    path("register/", return_views.goods_register, name="goods_register"),
    path(
        "<int:pk>/reports/<int:report_id>/signature.png",
        report_views.report_signature,
        name="report_signature",
    ),
    path("<int:pk>/photos/<int:photo_id>/", report_views.report_photo, name="report_photo"),
    path("<int:pk>/reports/<int:report_id>/voucher.pdf", report_views.report_voucher, name="report_voucher"),
]
