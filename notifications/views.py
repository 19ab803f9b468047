from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.idempotency import idempotent
from notifications.forms import ChannelPreferenceForm
from notifications.models import ChannelPreference, Notification
from notifications.services import mark_read

PAGE_SIZE = 25


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's messages, newest first; `?unread=1` shows only the unread ones."""
    mine = Notification.objects.filter(recipient=request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        mine = mine.filter(read_at__isnull=True)
    page = Paginator(mine.prefetch_related("deliveries"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
@idempotent
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go where the message points."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    mark_read(user=request.user, notification_id=notification.pk)
    safe = url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()})
    return redirect(notification.link if notification.link and safe else "notifications:inbox")


@login_required
@require_POST
@idempotent
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = mark_read(user=request.user)
    messages.success(request, _("已将 %(count)d 条消息标为已读。") % {"count": count})
    return redirect("notifications:inbox")


@login_required
@idempotent
def preferences(request: HttpRequest) -> HttpResponse:
    """Which channels besides the inbox the user wants (e-mail, 企业微信, SMS)."""
    preference = ChannelPreference.objects.filter(user=request.user).first() or ChannelPreference(
        user=request.user, email=bool(request.user.email)
    )
    form = ChannelPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("通知渠道已保存。"))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
