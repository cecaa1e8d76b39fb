from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "idp.ratings"
    label = "ratings"
    verbose_name = "好差评"
