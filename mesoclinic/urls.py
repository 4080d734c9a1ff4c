from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from api.v1 import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("accounts.urls")),
    path("screening/", include("screening.urls")),
    path("plan/", include("plans.urls")),
    path("queue/", include("tokens.urls")),
    # Before "staff/" (the front desk's pages): a clinic's token queue is the tokens app's.
    path("staff/<slug:slug>/queue/", include("tokens.staff_urls")),
    path("", include("scheduling.ical_urls")),
    path("staff/<slug:slug>/patients/<int:patient_id>/record/", include("clinical.urls")),
    path("staff/<slug:slug>/patients/", include("patients.staff_urls")),
    path("staff/<slug:slug>/outbox/", include("messaging.urls")),
    path("staff/<slug:slug>/safety/", include("safety.urls")),
    path("staff/<slug:slug>/stock/", include("stock.urls")),
    path("follow-up/", include("safety.public_urls")),
    path("my/record/", include("clinical.portal_urls")),
    path("my/intake/", include("patients.portal_urls")),
    path("staff/", include("frontdesk.urls")),
    path("", include("education.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
