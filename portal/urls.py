from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="sign_in"),
    path("login/code/", views.enter_code, name="code"),
    path("logout/", views.sign_out, name="sign_out"),
    path("report/", views.report_fault, name="report"),
    path("t/<int:pk>/", views.ticket_detail, name="ticket"),
    path("t/<int:pk>/photos/<int:photo_id>/", views.fault_photo, name="photo"),
    path("t/<int:pk>/video/", views.fault_video, name="video"),
    path("t/<int:pk>/vouchers/<int:report_id>/", views.voucher, name="voucher"),
    path("t/<int:pk>/survey/", views.answer_survey, name="survey"),
    path("t/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("t/<int:pk>/cancel/", views.cancel_visit, name="cancel"),
    path("t/<int:pk>/complaint/", views.complain, name="complaint"),
    path("l/<str:token>/", views.open_link, name="link"),
    # The Official Account's menu opens the channel here through WeChat's web authorisation (README).
    path("wechat/", views.wechat_entry, name="wechat"),
    path("register/", views.register_unit, name="register"),
    # Where a unit's QR label leads (portal.labels).
    path("u/<str:serial>/", views.unit_page, name="unit"),
    # Staff: text the customer a sign-in link to the ticket (from the ticket page).
    path("staff/tickets/<int:pk>/send-link/", views.send_sign_in_link, name="send_link"),
    # Staff: the queue of product registrations, and QR label sheets.
    path("staff/registrations/", views.registration_queue, name="registrations"),
    path("staff/registrations/<int:pk>/invoice/", views.registration_invoice, name="invoice"),
    path("staff/registrations/<int:pk>/confirm/", views.confirm_registration, name="confirm"),
    path("staff/registrations/<int:pk>/reject/", views.reject_registration, name="reject"),
    path("staff/labels/", views.label_sheet, name="labels"),
]
