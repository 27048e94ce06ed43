from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from distru_qbo.words import counted
from integrations.admin_forms import QboItemPicker, QboItemPickerField
from integrations.defaults import DEFAULT_PURCHASE_ITEM_NAME, DEFAULT_SALES_ITEM_NAME
from integrations.models import QboItem
from products.forms import ProductMappingForm
from products.models import DocumentNumbering, Product, Side
from products.selectors import (
    MAPPING_FIELDS,
    document_number_preview,
    products_fully_mapped,
    products_without_mapping,
)
from products.services import (
    DEFAULT_ITEM_NAMES,
    product_mapping_bulk_update,
    product_mapping_change,
)

BULK_UPDATE_SAMPLE_SIZE = 10


def _mapping_column(field_name: str, default_name: str):
    """A changelist column: the product's item on one side, or the default it falls back to."""
    label = Product._meta.get_field(field_name).verbose_name

    @admin.display(description=label, ordering=f"{field_name}__name")
    def column(product):
        item = getattr(product, field_name)
        if item is None:
            return format_html('<span class="quiet">{} (default)</span>', default_name)
        return item.name

    # Names the column's CSS class, as a field of the same name would.
    column.__name__ = field_name
    return column


class QboMappingFilter(admin.SimpleListFilter):
    """Products by QBO mapping: mapped on both sides, or falling back to a default on one."""

    title = "QuickBooks mapping"
    parameter_name = "qbo_mapping"

    def lookups(self, request, model_admin):
        return [
            ("mapped", "Mapped"),
            ("sales_unmapped", f"Sales unmapped (uses {DEFAULT_SALES_ITEM_NAME})"),
            ("purchase_unmapped", f"Purchase unmapped (uses {DEFAULT_PURCHASE_ITEM_NAME})"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "mapped":
                return products_fully_mapped(products=queryset)
            case "sales_unmapped":
                return products_without_mapping(side="sales", products=queryset)
            case "purchase_unmapped":
                return products_without_mapping(side="purchase", products=queryset)
        return queryset


def _bulk_update_done(updated: int, changes: dict) -> str:
    """What a bulk update did: the items it mapped, the mappings it cleared."""
    products = counted(updated, "product")
    labels = {field: Product._meta.get_field(field).verbose_name for field in changes}
    mapped = [f"{labels[field]} “{item}”" for field, item in changes.items() if item is not None]
    cleared = [field for field, item in changes.items() if item is None]
    done = [f"Mapped {products} to {' and '.join(mapped)}."] if mapped else []
    if cleared:
        done.append(
            f"Cleared the {' and '.join(labels[field] for field in cleared)} of {products}: "
            f"{'it uses' if updated == 1 else 'they use'} "
            f"{' and '.join(DEFAULT_ITEM_NAMES[field] for field in cleared)}."
        )
    return " ".join(done)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "sku",
        "category",
        "unit_price",
        "unit_cost",
        "active",
        _mapping_column("sales_qbo_item", DEFAULT_SALES_ITEM_NAME),
        _mapping_column("purchase_qbo_item", DEFAULT_PURCHASE_ITEM_NAME),
    ]
    list_filter = [QboMappingFilter, "category", "active"]
    search_fields = ["name", "sku", "description"]
    list_select_related = ["sales_qbo_item", "purchase_qbo_item"]
    # A second COUNT of the whole table on every page is not worth it on a large catalog.
    show_full_result_count = False
    actions = ["bulk_update_qbo_items"]
    fieldsets = [
        (None, {"fields": ["name", "sku", "category", "description", "active"]}),
        ("Pricing", {"fields": ["unit_price", "unit_cost"]}),
        (
            "QuickBooks",
            {
                "fields": ["sales_qbo_item", "purchase_qbo_item"],
                "description": (
                    f"A product without a Sales item uses {DEFAULT_SALES_ITEM_NAME} on invoice "
                    f"lines; one without a Purchase item uses {DEFAULT_PURCHASE_ITEM_NAME} on "
                    "bill lines."
                ),
            },
        ),
    ]

    def get_urls(self):
        # Before the admin's own: its "<object_id>/" pattern would take this path too.
        prices = path(
            "<path:object_id>/default-prices/",
            self.admin_site.admin_view(self.default_prices_view),
            name="products_product_default_prices",
        )
        return [prices, *super().get_urls()]

    def default_prices_view(self, request, object_id):
        """The product's default unit price on each side, for a document line's script."""
        product = self.get_object(request, unquote(object_id))
        if product is None:
            raise Http404("No such product.")
        if not self.has_view_permission(request, product):
            raise PermissionDenied
        return JsonResponse({side: str(product.default_price(side)) for side in Side.values})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in MAPPING_FIELDS.values():
            kwargs["form_class"] = QboItemPickerField
            kwargs["mapping"] = db_field.remote_field.related_name
            kwargs["widget"] = QboItemPicker(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def construct_change_message(self, request, form, formsets, add=False):
        """Name the items a mapping moved between, so the product's History shows them."""
        message = super().construct_change_message(request, form, formsets, add)
        mapped = [field for field in MAPPING_FIELDS.values() if field in form.changed_data]
        if add or not mapped:
            return message
        before = QboItem.objects.in_bulk([form.initial[field] for field in mapped])
        described = {
            form[field].label: product_mapping_change(
                field=field,
                old=getattr(before.get(form.initial[field]), "name", None),
                new=getattr(form.cleaned_data[field], "name", None),
            )
            for field in mapped
        }
        # Django puts the form's own changes first: {"changed": {"fields": [labels]}}.
        changed = message[0]["changed"]
        changed["fields"] = [described.get(label, label) for label in changed["fields"]]
        return message

    @admin.action(permissions=["change"], description="Bulk update QuickBooks items")
    def bulk_update_qbo_items(self, request, queryset):
        """Ask for the items on a confirmation page, then map every selected product at once.

        The page posts back the selection as it came: with "select all", the ids of one page
        and `select_across`, never one field per product.
        """
        form = ProductMappingForm(
            request.POST if "post" in request.POST else None, admin_site=self.admin_site
        )
        if form.is_valid():
            updated = product_mapping_bulk_update(
                products=queryset, changed_by=request.user, changes=form.changes
            )
            self.message_user(request, _bulk_update_done(updated, form.changes), messages.SUCCESS)
            return None
        count = queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": "Bulk update QuickBooks items",
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
            "count": count,
            "sample": queryset[:BULK_UPDATE_SAMPLE_SIZE],
            "more": max(count - BULK_UPDATE_SAMPLE_SIZE, 0),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/products/product/bulk_update_qbo_items.html", context
        )


@admin.register(DocumentNumbering)
class DocumentNumberingAdmin(admin.ModelAdmin):
    """One row per kind of document, made by the migration: edited, never added or deleted."""

    list_display = ["__str__", "prefix", "next_number", "next_free"]
    list_display_links = ["__str__"]
    fields = ["prefix", "next_number", "next_free"]
    readonly_fields = ["next_free"]

    @admin.display(description="Next number, if left empty")
    def next_free(self, numbering):
        return document_number_preview(kind=numbering.kind) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
