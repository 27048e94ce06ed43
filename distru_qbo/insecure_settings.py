"""Settings that must never reach a deployment: found here once, for the start (settings.py
refuses to load) and for `manage.py check --deploy` (distru_qbo/checks.py reports them).

No Django import: settings.py calls this while Django is still being configured.
"""

# Django's own test of a secret key (check security.W009): long, varied, not a generated
# development key. Placeholders are refused by name too, whatever their length.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
SECRET_KEY_INSECURE_PREFIX = "django-insecure"  # noqa: S105 - a prefix to refuse
PLACEHOLDER_SECRET_KEYS = {"change-me", "changeme", "secret", "secret-key", "your-secret-key"}


def insecure_settings(
    *,
    environment: str,
    debug: bool,
    secret_key: str,
    client_id: str,
    client_secret: str,
) -> list[tuple[str, str]]:
    """(check id, what to do) for each setting unfit to run with; each names its variable and
    never shows a value."""
    problems = []
    local = environment == "local"
    if debug and not local:
        problems.append(
            (
                "distru_qbo.E001",
                "Set DJANGO_DEBUG=false: it must be off outside QBO_ENVIRONMENT=local.",
            )
        )
    if (not debug or not local) and secret_key_is_weak(secret_key):
        problems.append(
            (
                "distru_qbo.E002",
                "Set DJANGO_SECRET_KEY to a long random value (50 or more varied characters): "
                "the one in use is the public development key, a placeholder or too short, and "
                "the session signatures and the derived token key depend on it.",
            )
        )
    if not local:
        for check_id, name, value in (
            ("distru_qbo.E003", "QBO_CLIENT_ID", client_id),
            ("distru_qbo.E004", "QBO_CLIENT_SECRET", client_secret),
        ):
            if not value.strip():
                problems.append((check_id, f"Set {name} to your Intuit app's value: it is empty."))
    return problems


def secret_key_is_weak(secret_key: str) -> bool:
    """True for a key anyone could know or guess."""
    return (
        secret_key.strip().lower() in PLACEHOLDER_SECRET_KEYS
        or secret_key.startswith(SECRET_KEY_INSECURE_PREFIX)
        or len(secret_key) < SECRET_KEY_MIN_LENGTH
        or len(set(secret_key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    )
