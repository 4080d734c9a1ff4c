from safety.views_reports import report_urlpatterns

app_name = "safety"
urlpatterns: list = []
urlpatterns += report_urlpatterns
