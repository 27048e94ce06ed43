from django.contrib import admin

from integrations.models import QboAccount, QboClass, QboConnection, QboItem


@admin.register(QboConnection)
class QboConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "realm_id", "environment", "status", "connected_at"]
    readonly_fields = [
        "realm_id",
        "company_name",
        "environment",
        "status",
        "connected_at",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "items_full_synced_at",
        "items_cdc_watermark",
        "transactions_cdc_watermark",
    ]
    fields = readonly_fields + [
        "default_income_account",
        "default_expense_account",
        "sales_deposit_account",
        "purchase_deposit_account",
        "class_tracking_per_txn",
        "class_tracking_per_line",
    ]

    def has_add_permission(self, request):
        # The one row is made by connecting, never by hand.
        return False


@admin.register(QboAccount)
class QboAccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "fully_qualified_name",
        "account_type",
        "classification",
        "active",
        "qbo_id",
    ]
    list_filter = ["account_type", "classification", "active"]
    search_fields = ["name", "fully_qualified_name", "qbo_id"]


@admin.register(QboClass)
class QboClassAdmin(admin.ModelAdmin):
    list_display = ["name", "fully_qualified_name", "parent", "active", "qbo_id"]
    list_filter = ["active"]
    search_fields = ["name", "fully_qualified_name", "qbo_id"]
    list_select_related = ["parent"]


@admin.register(QboItem)
class QboItemAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "type",
        "sku",
        "unit_price",
        "purchase_cost",
        "qbo_class",
        "origin",
        "active",
        "qbo_id",
    ]
    list_filter = ["type", "origin", "active", "qbo_class"]
    search_fields = ["name", "sku", "description", "qbo_id"]
    list_select_related = ["qbo_class"]
    readonly_fields = ["qbo_id", "sync_token", "origin", "created_at", "updated_at"]
    autocomplete_fields = ["income_account", "expense_account"]
