"""The names of the two default QBO items that a product without a mapping falls back to."""

# On invoice lines, for a product with no Sales item.
DEFAULT_SALES_ITEM_NAME = "Distru Sales"
# On bill lines, for a product with no Purchase item.
DEFAULT_PURCHASE_ITEM_NAME = "Distru Purchases"
