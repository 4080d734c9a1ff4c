"""Stock, lots and devices (stock.views) and recalls (stock.views_recall),
under /staff/<clinic>/stock/."""

from stock.views import urlpatterns as stock_urlpatterns
from stock.views_recall import recall_urlpatterns

app_name = "stock"
urlpatterns: list = list(stock_urlpatterns)
urlpatterns += recall_urlpatterns
