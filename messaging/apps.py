from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messages to patients"

    def ready(self) -> None:
        from messaging import (
            hooks,  # noqa: F401  (connects the signal receivers)
            messages,  # noqa: F401  (registers the renderers of the patients' messages)
        )
