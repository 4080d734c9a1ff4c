from stock.views_recall import recall_urlpatterns

app_name = "stock"
urlpatterns: list = []
urlpatterns += recall_urlpatterns
