"""Helpers shared by the outbox tests."""

import pytest

from tests.security.conftest import broad_staff, viewer  # noqa: F401 (fixtures)


def remote(sandbox, entity, qbo_id):
    """The object as the sandbox holds it now."""
    return sandbox.api("GET", f"{entity.lower()}/{qbo_id}").json()[entity]


@pytest.fixture
def push(django_capture_on_commit_callbacks):
    """Run the block's on-commit hooks, so jobs are enqueued (and, in tests, run) at once."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
