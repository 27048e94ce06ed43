import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def viewer(django_user_model):
    """Staff who may view (and change) every model, but not manage the QuickBooks integration."""
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def manager(django_user_model):
    """Staff with only the integration permission (and view permissions)."""
    user = django_user_model.objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_"),
        Permission.objects.get(codename="manage_qbo_integration"),
    )
    return user
