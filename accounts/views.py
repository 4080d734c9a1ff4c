from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinics.models import StaffMember


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a login lands: the person's roles and where to go next."""
    memberships = StaffMember.objects.filter(user=request.user).select_related("clinic")
    patient = getattr(request.user, "patient", None)
    return render(request, "accounts/home.html", {"memberships": memberships, "patient": patient})
