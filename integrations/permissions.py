"""Who may change the QuickBooks integration: one permission for every settings write."""

from django.core.exceptions import PermissionDenied

# Connect, disconnect, key accounts, tax mapping, Sync now and outbox retries. Staff without it
# see the same pages read-only.
MANAGE_PERMISSION = "integrations.manage_qbo_integration"


def can_manage_integration(user) -> bool:
    """True when `user` may change the integration's settings."""
    return user.has_perm(MANAGE_PERMISSION)


def require_manage_integration(user) -> None:
    """Refuse (403) a write by a user who may only read the integration's settings."""
    if not can_manage_integration(user):
        raise PermissionDenied("You may view the QuickBooks integration but not change it.")


class ManageIntegrationWritesMixin:
    """For a ModelAdmin: adding, changing and deleting also need the integration permission."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_manage_integration(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_manage_integration(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_manage_integration(request.user)


class ReadOnlyAdminMixin:
    """For a ModelAdmin whose rows are written only by the product: no one adds, changes or
    deletes one by hand, superusers included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
