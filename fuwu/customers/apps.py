from django.apps import AppConfig


class Config(AppConfig):
    name = "fuwu.customers"
    label = "customers"
    default_auto_field = "django.db.models.BigAutoField"
