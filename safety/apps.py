from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Safety: follow-ups and adverse events"

    def ready(self) -> None:
        from safety import messages, signals  # noqa: F401  (the "alert" renderer, receivers)
