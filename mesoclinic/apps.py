from django.apps import AppConfig


class MesoclinicConfig(AppConfig):
    name = "mesoclinic"
    verbose_name = "Mesoclinic"

    def ready(self) -> None:
        from mesoclinic import checks, history  # noqa: F401  (registers checks and receivers)
