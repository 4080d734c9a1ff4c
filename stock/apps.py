from typing import Any

from django.apps import AppConfig


def _recall_message_sent(sender: Any, message: Any, **kwargs: Any) -> None:
    from stock.recall import message_sent

    message_sent(message)


class StockConfig(AppConfig):
    name = "stock"
    verbose_name = "Stock"

    def ready(self) -> None:
        from messaging.signals import message_sent
        from stock import recall_messages  # noqa: F401  (the "recall" renderer)

        # A recall notice is told when its message goes out.
        message_sent.connect(_recall_message_sent, dispatch_uid="stock.recall.message_sent")
