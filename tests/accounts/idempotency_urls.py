"""Two tiny write views for the mechanism's own tests: a page that adds a branch and redirects with a
message, and an API operation that does the same and answers 201."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import Context, Template
from django.urls import include, path
from django.views.decorators.http import require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from accounts.models import Branch

FORM = Template('{% load ui %}<form method="post">{% idempotency_input %}{% idempotency_input %}</form>')


def _add(code: str) -> Branch:
    return Branch.objects.create(code=code, name=f"{code} 服务站", kind=Branch.Kind.SERVICE_STATION)


@login_required
@require_POST
@idempotent
def add_branch(request):
    code = request.POST.get("code", "")
    if not code.isupper():
        return HttpResponse("代码须为大写字母")  # the form shown again with its error
    branch = _add(code)
    messages.success(request, f"网点 {branch.code} 已添加。")
    return redirect(f"/branches/{branch.pk}/")


def form(request):
    return HttpResponse(FORM.render(Context()))


class AddBranch(APIView):
    @idempotent
    def post(self, request):
        branch = _add(request.data["code"])
        return Response({"id": branch.pk, "code": branch.code}, status=201)


urlpatterns = [
    path("branches/", add_branch),
    path("form/", form),
    path("api/branches/", AddBranch.as_view()),
    path("", include("aftersales.urls")),  # the site's pages, which the templates link to
]
