from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from integrations import admin_history, admin_task_queue  # noqa: F401  (register their pages)
from integrations.admin_forms import QboItemAdminForm, item_picker_label
from integrations.defaults import DEFAULT_PURCHASE_ITEM_NAME, DEFAULT_SALES_ITEM_NAME
from integrations.models import QboAccount, QboClass, QboConnection, QboItem
from integrations.outbox.admin import QboSyncedAdminMixin
from integrations.permissions import ReadOnlyAdminMixin
from integrations.selectors import MAPPING_SIDES, QuickBooksState, items_offered_for
from integrations.services.default_items import DEFAULT_ITEMS

MAPPED_PRODUCTS_SHOWN = 20
QBO_RECORD_FIELDS = ["origin", "qbo_id", "created_at", "updated_at"]
# What the integration itself sets on the default items (from the key accounts) and on a tax's
# item (from the tax, reached by Tax.qbo_item's reverse relation): editing it on the item would
# move money where the permission-guarded settings say it does not go.
MANAGED_ITEM_FIELDS = ["name", "type", "active", "income_account", "expense_account"]
TAX_OF_ITEM = "tax"


def item_managed_by(item: QboItem) -> str | None:
    """Where the managed item's name and accounts are set, or None for an ordinary item."""
    for default in DEFAULT_ITEMS:
        if item.name.lower() == default.name.lower():
            return (
                f"The integration keeps this item on the {default.account_label} account: "
                "choose that account under Settings → Integrations → QuickBooks → Key accounts."
            )
    if tax := getattr(item, TAX_OF_ITEM, None):
        return (
            f"This item carries the tax “{tax.name}” on invoices: rename the tax in the Tax "
            "admin, and choose its account under Settings → Taxes."
        )
    return None


@admin.register(QboConnection)
class QboConnectionAdmin(admin.ModelAdmin):
    """The connection, read-only: each of its settings has one place where it is changed.

    The key accounts are chosen on the Key accounts page, which checks each account's type and
    that it is active, and then moves the default items onto them; class tracking follows
    QuickBooks' own preferences, read by the change pipeline. A second editor here would skip
    both.
    """

    list_display = ["__str__", "realm_id", "environment", "status", "connected_at"]
    fields = [
        "where_to_change",
        "realm_id",
        "company_name",
        "environment",
        "status",
        "connected_at",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "items_full_synced_at",
        "changes_watermark",
        "preferences_read_at",
        "default_income_account",
        "default_expense_account",
        "sales_deposit_account",
        "purchase_deposit_account",
        "class_tracking_per_txn",
        "class_tracking_per_line",
    ]
    readonly_fields = fields

    @admin.display(description="Change")
    def where_to_change(self, connection):
        return format_html(
            'Connect, reconnect and choose the key accounts under <a href="{}">Settings → '
            'Integrations → QuickBooks Online</a> (<a href="{}">Key accounts</a>). Class '
            "tracking follows QuickBooks' own preferences.",
            reverse("integrations:quickbooks"),
            reverse("integrations:key_accounts"),
        )

    def has_add_permission(self, request):
        # The one row is made by connecting, never by hand.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting the row would drop the tokens without revoking them: Disconnect does both.
        return False


class ReadOnlyMirrorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A mirror of a QBO list: it changes only from QuickBooks, with the sync, never here.

    An account's qbo_id decides where money posts: swapping two would send payments to
    another bank account while every page here still showed the chosen one.
    """


@admin.register(QboAccount)
class QboAccountAdmin(ReadOnlyMirrorAdmin):
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
class QboClassAdmin(ReadOnlyMirrorAdmin):
    list_display = ["name", "fully_qualified_name", "parent", "active", "qbo_id"]
    list_filter = ["active"]
    search_fields = ["name", "fully_qualified_name", "qbo_id"]
    list_select_related = ["parent"]


def mapped_products_by_side(item: QboItem) -> list:
    """One line per side the item is mapped on, such as "Sales item of 2 products: A, B".

    Each product links to its change page; past MAPPED_PRODUCTS_SHOWN, a link opens them all.
    """
    lines = []
    for accessor in MAPPING_SIDES:
        relation = QboItem._meta.get_field(accessor)
        shown = list(getattr(item, accessor).all()[: MAPPED_PRODUCTS_SHOWN + 1])
        if not shown:
            continue
        more = ""
        if len(shown) > MAPPED_PRODUCTS_SHOWN:
            shown = shown[:MAPPED_PRODUCTS_SHOWN]
            total = getattr(item, accessor).count()
            changelist = reverse(
                f"admin:{relation.related_model._meta.app_label}_"
                f"{relation.related_model._meta.model_name}_changelist"
            )
            query = urlencode({f"{relation.field.name}__id__exact": item.pk})
            more = format_html(
                ' and <a href="{}?{}">{} more</a>', changelist, query, total - len(shown)
            )
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse(
                        f"admin:{product._meta.app_label}_{product._meta.model_name}_change",
                        args=[product.pk],
                    ),
                    product,
                )
                for product in shown
            ),
        )
        lines.append(
            format_html("{} of: {}{}", relation.field.verbose_name.capitalize(), links, more)
        )
    return lines


class QboItemPickerView(AutocompleteJsonView):
    """The search behind a product's Sales and Purchase item selects (QboItemPicker): the items
    that side may use, each with its type and account."""

    def get_queryset(self):
        mapping = self.source_field.remote_field.related_name
        if mapping not in MAPPING_SIDES:
            raise PermissionDenied  # only the product's two item fields pick here
        queryset, may_have_duplicates = self.model_admin.get_search_results(
            self.request, items_offered_for(mapping=mapping), self.term
        )
        return queryset.distinct() if may_have_duplicates else queryset

    def serialize_result(self, obj, to_field_name):
        mapping = self.source_field.remote_field.related_name
        text = item_picker_label(obj, mapping=mapping)
        return {"id": str(getattr(obj, to_field_name)), "text": text}


@admin.register(QboItem)
class QboItemAdmin(QboSyncedAdminMixin, admin.ModelAdmin):
    form = QboItemAdminForm
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
    readonly_fields = ["mapped_products", *QBO_RECORD_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and item_managed_by(obj):
            readonly += ["managed_by", *MANAGED_ITEM_FIELDS]
        return readonly

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and item_managed_by(obj)
        )

    def get_fieldsets(self, request, obj=None):
        # Who uses the item, and what QBO holds of it, only exist once it is saved.
        saved = obj is not None
        managed = ["managed_by"] if saved and item_managed_by(obj) else []
        return [
            (None, {"fields": [*managed, "name", "type", "sku", "description", "active"]}),
            *([("Mapped products", {"fields": ["mapped_products"]})] if saved else []),
            ("Sales", {"fields": ["unit_price", "income_account"]}),
            ("Purchasing", {"fields": ["purchase_cost", "expense_account"]}),
            *(
                [("QuickBooks", {"fields": [*QBO_RECORD_FIELDS, "qbo_sync_details"]})]
                if saved
                else []
            ),
            # Last: a class is optional, and only companies that track classes set one.
            ("Class", {"fields": ["qbo_class"]}),
        ]

    def qbo_state_label(self, item) -> str:
        # An item without a job was never pushed: it was imported, or made by the integration
        # itself (the default items); either way it is in QuickBooks as it stands here.
        if item.qbo_state == QuickBooksState.SYNCED and item.qbo_sync_status is None:
            return item.get_origin_display()
        return super().qbo_state_label(item)

    @admin.display(description="Managed by")
    def managed_by(self, item):
        return item_managed_by(item)

    @admin.display(description="Products")
    def mapped_products(self, item):
        lines = mapped_products_by_side(item)
        if not lines:
            return "No product is mapped to this item."
        return format_html(
            "{}<p>Check these products before you inactivate this item in QuickBooks: the next "
            "sync unmaps them, and they fall back to {} on invoices and {} on bills.</p>",
            format_html_join("", "<p>{}</p>", ((line,) for line in lines)),
            DEFAULT_SALES_ITEM_NAME,
            DEFAULT_PURCHASE_ITEM_NAME,
        )

    def get_urls(self):
        picker = QboItemPickerView.as_view(admin_site=self.admin_site)
        return [
            path(
                "picker/",
                self.admin_site.admin_view(picker),
                name=f"{self.opts.app_label}_{self.opts.model_name}_picker",
            ),
            *super().get_urls(),
        ]

    def get_deleted_objects(self, objs, request):
        """Name, per item, the products that keep it from being deleted."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            protected = []
            for item in objs:
                if lines := mapped_products_by_side(item):
                    protected += [item, lines]
        return deleted, model_count, perms_needed, protected
