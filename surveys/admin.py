from django.contrib import admin

from surveys.models import Complaint, FollowUpCall, Survey


@admin.register(FollowUpCall)
class FollowUpCallAdmin(admin.ModelAdmin):
    list_display = ["ticket", "branch", "offset", "due_on", "outcome", "attempts", "called_by", "done_at"]
    list_filter = ["outcome", "branch"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket", "called_by"]
    date_hierarchy = "due_on"


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "branch", "technician", "answered_at", "answered_via"]
    list_filter = ["answered_via", "branch"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket", "technician", "answered_by"]
    # The link's token is only ever shown once when issued; its digest means nothing to a person.
    exclude = ["token_hash"]
    readonly_fields = ["token_expires_at"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "branch",
        "source",
        "severity",
        "service_at_fault",
        "state",
        "received_at",
        "plan_due_at",
    ]
    list_filter = ["state", "severity", "source", "service_at_fault", "branch"]
    search_fields = ["number", "contact_name", "contact_phone", "ticket__number"]
    raw_id_fields = ["ticket", "customer", "follow_up_call"]
    date_hierarchy = "received_at"
