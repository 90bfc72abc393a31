from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from headend.core.permissions import staff_required


@staff_required
def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {})


def health_view(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
