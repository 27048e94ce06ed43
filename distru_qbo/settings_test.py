"""Test settings: only what the tests need differs from the real ones."""

from distru_qbo.settings import *  # noqa: F403
from distru_qbo.settings import Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# The sandbox in tests has its limits off too; the limiters have tests of their own.
QBO_RATE_LIMIT = False
