"""`manage.py check --deploy` reports the settings no deployment may run with."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from distru_qbo.insecure_settings import insecure_settings


@register(Tags.security, deploy=True)
def insecure_settings_check(app_configs, **kwargs) -> list[Error]:
    """The same findings that stop the start, for settings made any other way."""
    return [
        Error(problem, id=check_id)
        for check_id, problem in insecure_settings(
            environment=settings.QBO_ENVIRONMENT,
            debug=settings.DEBUG,
            secret_key=settings.SECRET_KEY,
            client_id=settings.QBO_CLIENT_ID,
            client_secret=settings.QBO_CLIENT_SECRET,
        )
    ]
