from django.apps import AppConfig


class DistruQboConfig(AppConfig):
    """The project package as an app, so project-wide commands (seed_demo) have a home."""

    name = "distru_qbo"
    verbose_name = "Distru"

    def ready(self):
        from distru_qbo import (
            checks,  # noqa: F401 - registers the deploy checks
            lookups,  # noqa: F401 - registers the lookup
        )
