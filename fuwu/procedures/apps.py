from django.apps import AppConfig


class Config(AppConfig):
    name = "fuwu.procedures"
    label = "procedures"
    default_auto_field = "django.db.models.BigAutoField"
