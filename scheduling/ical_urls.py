"""Calendar files and feeds. Full paths, mounted at the site root before the
staff pages' ``staff/`` include, so that include cannot shadow them."""

from django.urls import path

from scheduling import ical_views

app_name = "ical"
urlpatterns = [
    path("calendar/<slug:token>.ics", ical_views.practitioner_feed, name="practitioner_feed"),
    path("staff/<slug:slug>/calendar-feed/", ical_views.feed_page, name="feed_page"),
    path(
        "staff/<slug:slug>/calendar-feed/regenerate/",
        ical_views.regenerate_feed,
        name="regenerate_feed",
    ),
    path(
        "staff/<slug:slug>/appointments/<int:appointment_id>.ics",
        ical_views.staff_appointment_file,
        name="staff_appointment",
    ),
    path("my/calendar.ics", ical_views.patient_calendar, name="patient_calendar"),
    path(
        "my/appointments/<int:appointment_id>.ics",
        ical_views.patient_appointment_file,
        name="patient_appointment",
    ),
]
