from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mesoclinic.catalog import get_catalog


def home(request: HttpRequest) -> HttpResponse:
    catalog = get_catalog()
    return render(request, "education/home.html", {"indications": catalog.indications.values()})
