from django.apps import AppConfig


class Config(AppConfig):
    name = "fuwu.demo"
    label = "demo"
