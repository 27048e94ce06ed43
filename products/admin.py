from django.contrib import admin

from products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "sku",
        "category",
        "unit_price",
        "unit_cost",
        "active",
        "sales_qbo_item",
        "purchase_qbo_item",
    ]
    list_filter = ["category", "active"]
    search_fields = ["name", "sku", "description"]
    list_select_related = ["sales_qbo_item", "purchase_qbo_item"]
    autocomplete_fields = ["sales_qbo_item", "purchase_qbo_item"]
    fieldsets = [
        (None, {"fields": ["name", "sku", "category", "description", "active"]}),
        ("Pricing", {"fields": ["unit_price", "unit_cost"]}),
        ("QuickBooks", {"fields": ["sales_qbo_item", "purchase_qbo_item"]}),
    ]
