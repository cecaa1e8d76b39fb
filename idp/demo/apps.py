from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `make run` (load_demo): accounts with published passwords, the four
    business systems of SPEC 0 with their service items, and the two demo relying parties.
    Nothing in the platform imports it."""

    name = "idp.demo"
    label = "demo"
