"""The patient's own record, under /my/record/.

The portal's pages (clinical/views/portal.py) and the patient's own photos
(clinical/views/photos.py) are joined here.
"""

from clinical.views import aftercare, photos, portal

app_name = "portal"
urlpatterns = [
    *portal.urlpatterns,
    *photos.portal_urlpatterns,
    *aftercare.portal_urlpatterns,
]
