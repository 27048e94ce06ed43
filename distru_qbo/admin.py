"""Users and groups: only a superuser grants permissions, and no one acts on an account that
holds more than they do (setting its password would be taking it over)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

# The fields by which a user or a group is given power.
GRANTING_FIELDS = {"is_superuser", "groups", "user_permissions", "permissions"}


def holds_at_least(actor, permissions: set[str]) -> bool:
    """True when `actor` holds every one of `permissions` ("app_label.codename")."""
    return actor.is_superuser or permissions <= actor.get_all_permissions()


class GrantsOnlyBySuperuserMixin:
    """Granting fields are read-only to anyone but a superuser; a row holding more than the
    user does can be viewed, not changed or deleted."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        own = {field.name for field in self.model._meta.get_fields()}
        return readonly + sorted(own & GRANTING_FIELDS)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._within_reach(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._within_reach(request, obj)

    def _within_reach(self, request, obj) -> bool:
        return obj is None or holds_at_least(request.user, self.held_permissions(obj))


class StaffUserAdmin(GrantsOnlyBySuperuserMixin, UserAdmin):
    @staticmethod
    def held_permissions(user) -> set[str]:
        if user.is_superuser:
            return {"superuser"}  # held by superusers alone
        return user.get_all_permissions()


class StaffGroupAdmin(GrantsOnlyBySuperuserMixin, GroupAdmin):
    @staticmethod
    def held_permissions(group) -> set[str]:
        return {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }


for _model, _model_admin in ((get_user_model(), StaffUserAdmin), (Group, StaffGroupAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)
