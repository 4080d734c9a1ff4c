from safety.views import urlpatterns as event_urlpatterns
from safety.views_reports import report_urlpatterns

app_name = "safety"
urlpatterns: list = []
urlpatterns += event_urlpatterns
urlpatterns += report_urlpatterns
