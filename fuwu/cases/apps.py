from django.apps import AppConfig


class Config(AppConfig):
    name = "fuwu.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"
