"""The clinical record's staff pages, under /staff/<clinic>/patients/<id>/record/.

Each part of the record keeps its own views and patterns; they are joined here.
"""

from clinical.views import (
    aftercare,
    charts,
    consents,
    courses,
    photos,
    record,
    scores,
    screening,
)

app_name = "clinical"
urlpatterns = [
    *record.urlpatterns,
    *screening.urlpatterns,
    *courses.urlpatterns,
    *consents.urlpatterns,
    *charts.urlpatterns,
    *aftercare.urlpatterns,
    *photos.urlpatterns,
    *scores.urlpatterns,
]
