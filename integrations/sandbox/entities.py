"""Per-entity QBO rules: which fields exist, what is required, and what QBO computes on a write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from integrations.sandbox import contract, faults

if TYPE_CHECKING:
    from integrations.sandbox.backend import Company

DELETED_SUFFIX = " (deleted)"
# Characters no QBO name may hold: ':' joins a sub-customer, sub-item or sub-account to its
# parent; Intuit's Customer and Vendor pages forbid tabs and newlines as well.
NAME_REFUSED = frozenset(":\t\n\r")
# The name parts Intuit's "Business Rules" hold to the same characters as DisplayName.
PARTY_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "PrintOnCheckName")
SYSTEM_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})

# AccountType -> (Classification, default AccountSubType), spelled as QBO spells them.
ACCOUNT_TYPES = {
    "Bank": ("Asset", "Checking"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "MachineryAndEquipment"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Equity": ("Equity", "OpeningBalanceEquity"),
    "Income": ("Revenue", "SalesOfProductIncome"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
}
ITEM_TYPES = {"Inventory", "NonInventory", "Service", "Category", "Group"}


@dataclass(frozen=True)
class Spec:
    """How one entity behaves: its kind, default order and write rules (its fields: contract.py)."""

    name: str
    kind: str  # "list" (name list), "txn" (transaction) or "single" (one per company)
    prepare: Callable[[Company, dict, dict | None, str], dict]
    order: tuple[str, ...] = ("Id",)
    keep: tuple[str, ...] = ()  # fields a full update does not clear
    # How QBO voids it: "operation" (`?operation=void`, Invoice) or "include" (a sparse update
    # with `?include=void`: Payment, BillPayment, SalesReceipt). None: it cannot be voided.
    void_by: str | None = None
    party: str | None = None  # CustomerRef/VendorRef on transactions
    pays: str | None = None  # the document type a payment entity links to
    read_only: bool = False  # made by QBO itself (tax codes and rates): the API only reads it

    @property
    def path(self) -> str:
        """The lowercase URL segment, as in `/v3/company/{realm}/billpayment`."""
        return self.name.lower()


# ---- small helpers shared by every entity -------------------------------------------------


QUANTITY_DECIMALS = 7


def money(value: float | int | None, element: str) -> float:
    """A JSON amount as QBO stores it (2 decimals); the schema check made it a number if sent."""
    if value is None:
        raise faults.business(f"{element} must be a number", element)
    return round(float(value), 2)


def _quantity(value: object, element: str) -> float | int:
    """A Qty or UnitPrice as QBO keeps it: seven decimals, not the two of an amount (README,
    "What QBO keeps of a pushed document")."""
    if value is None:
        raise faults.business(f"{element} must be a number", element)
    number = value if isinstance(value, int) else round(float(value), QUANTITY_DECIMALS)
    return int(number) if float(number).is_integer() else number


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def _day(value: str | None, default: date) -> date:
    # The schema check let through only a real date (an xs:date may carry a zone after it).
    return default if value is None else date.fromisoformat(value[:10])


def _due_date(company: Company, obj: dict, txn_date: date) -> str:
    """DueDate as sent, else TxnDate plus the DueDays of its SalesTermRef (30 without one);
    a TxnDate too late for that is a 6000.

    What QBO answers for a date near 9999-12-31 is not documented anywhere we found (see the
    README, "Other rules"): a business validation fault naming TxnDate is our choice.
    """
    if obj.get("DueDate") not in (None, ""):
        return _day(obj["DueDate"], txn_date).isoformat()
    term = company.get("Term", obj["SalesTermRef"]["value"]) if obj.get("SalesTermRef") else None
    days = (term or {}).get("DueDays", 30)
    try:
        return (txn_date + timedelta(days=days)).isoformat()
    except OverflowError:
        raise faults.business(
            f"TxnDate {txn_date.isoformat()} leaves no date for the DueDate {days} days later; "
            "send a DueDate, or an earlier TxnDate",
            "TxnDate",
        ) from None


def ref(
    company: Company,
    value: object,
    entity: str,
    element: str,
    *,
    need: bool = False,
    inactive: Callable[[], faults.QboFault] | None = None,
):
    """Resolve a reference: 2500 if it names nothing; if inactive, `inactive()` or else 610.

    Fills in the reference's `name`.
    """
    if value in (None, {}, ""):
        if need:
            raise faults.required(element)
        return None
    ref_id = str(value.get("value", "")).strip() if isinstance(value, dict) else ""
    if not ref_id:
        raise faults.invalid_reference(entity, repr(value), element)
    target = company.get(entity, ref_id)
    if target is None:
        raise faults.invalid_reference(entity, ref_id, element)
    if target.get("Active") is False:
        raise inactive() if inactive else faults.not_found(element)
    return {"value": ref_id, "name": target.get("FullyQualifiedName") or _label(target)}


def _addresses(company: Company, obj: dict) -> None:
    """QBO numbers every address it stores and geocodes it; the sandbox can't geocode."""
    for key in ("BillAddr", "ShipAddr"):
        if isinstance(obj.get(key), dict):
            address = {"Id": company.next_in("Address", start=100), **obj[key]}
            address.setdefault("Lat", "INVALID")
            address.setdefault("Long", "INVALID")
            obj[key] = address


def _label(obj: dict) -> str:
    return obj.get("DisplayName") or obj.get("Name") or ""


def _set_ref(company: Company, obj: dict, key: str, entity: str, *, need: bool = False) -> None:
    resolved = ref(company, obj.get(key), entity, key, need=need)
    if resolved is None:
        obj.pop(key, None)
    else:
        obj[key] = resolved


def _plain_name(value: str, element: str) -> None:
    """2040 for a name holding a colon (QBO's parent:child separator), a tab or a line break."""
    if any(character in NAME_REFUSED for character in value):
        raise faults.invalid_characters(element, value)


def _name_rules(
    obj: dict, old: dict | None, field: str, limit: int, *, mark_deleted: bool = True
) -> str:
    """Trim, check and (on inactivation, where `mark_deleted`) suffix a name the way QBO's
    name lists do."""
    name = _text(obj, field)
    if not name:
        raise faults.required(field)
    _plain_name(name, field)
    was_active = old is None or old.get("Active", True)
    inactivated = obj.get("Active", True) is False and was_active
    if mark_deleted and inactivated and not name.endswith(DELETED_SUFFIX):
        name += DELETED_SUFFIX
    elif mark_deleted and obj.get("Active", True) and old is not None and not was_active:
        name = name.removesuffix(DELETED_SUFFIX)
    if len(name) > limit:
        raise faults.QboFault(
            "2050", "Length exceeds limit", f"Length of the field {field} exceeds {limit} chars",
            element=field,
        )  # fmt: skip
    obj[field] = name
    return name


def _unique(company: Company, group: str, key: str, self_id: str, detail: str) -> None:
    owner = company.name_owner(group, key)
    if owner is not None and owner != self_id:
        raise faults.duplicate_name(f"The name supplied already exists. : {detail}")


def _hierarchy(company: Company, obj: dict, entity: str, name: str, flag: str) -> str:
    """Set the parent fields of a sub-object and return its fully qualified name."""
    parent = ref(company, obj.get("ParentRef"), entity, "ParentRef")
    if parent is None:
        obj.pop("ParentRef", None)
        obj[flag] = False
        obj.pop("Level", None)
        return name
    obj["ParentRef"] = {"value": parent["value"]}
    obj[flag] = True
    if "Level" in contract.load().properties(entity):  # Item and Customer; not Account, Class
        obj["Level"] = company.get(entity, parent["value"]).get("Level", 0) + 1
    return f"{parent['name']}:{name}"


# ---- name lists ---------------------------------------------------------------------------


def prepare_item(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Item: a unique name (no colon, <=100), a known Type, and the accounts its Type needs."""
    _name_rules(obj, old, "Name", 100)
    kind = obj.setdefault("Type", "NonInventory")
    if kind not in ITEM_TYPES:
        raise faults.business(f"Item Type {kind!r} is not supported", "Type")
    obj["FullyQualifiedName"] = _hierarchy(company, obj, "Item", obj["Name"], "SubItem")
    taken = "Another product or service is using this name. Please use a different name."
    _unique(company, "Item", obj["FullyQualifiedName"], obj_id, taken)
    for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        _set_ref(company, obj, key, "Account")
    _set_ref(company, obj, "ClassRef", "Class")
    _set_ref(company, obj, "PrefVendorRef", "Vendor")
    obj.setdefault("Active", True)
    if kind in {"Category", "Group"}:
        for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "UnitPrice"):
            obj.pop(key, None)
        if kind == "Group":
            obj.setdefault("ItemGroupDetail", {"ItemGroupLine": []})
        return obj
    if kind == "Inventory":
        for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "InvStartDate"):
            if key not in obj:
                raise faults.required(key)
        if obj.get("QtyOnHand") is None:
            raise faults.required("QtyOnHand")
        obj["QtyOnHand"] = _quantity(obj["QtyOnHand"], "QtyOnHand")
        obj["TrackQtyOnHand"] = True
    elif "IncomeAccountRef" not in obj and "ExpenseAccountRef" not in obj:
        raise faults.required("IncomeAccountRef")
    else:
        obj["TrackQtyOnHand"] = False
    obj.setdefault("Taxable", False)
    obj["UnitPrice"] = money(obj.get("UnitPrice", 0), "UnitPrice")
    obj["PurchaseCost"] = money(obj.get("PurchaseCost", 0), "PurchaseCost")
    return obj


def prepare_account(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Account: a unique name and an AccountType spelled as QBO spells it."""
    _name_rules(obj, old, "Name", 100)
    account_type = obj.get("AccountType")
    if not account_type:
        raise faults.QboFault(
            "6010", "Invalid Account.AccountType && Account.SubType",
            "Either an Account.AccountType or an Account.AccountSubType must be specified",
        )  # fmt: skip
    if account_type not in ACCOUNT_TYPES:
        raise faults.business(f"AccountType {account_type!r} is not valid", "AccountType")
    classification, sub_type = ACCOUNT_TYPES[account_type]
    obj["FullyQualifiedName"] = _hierarchy(company, obj, "Account", obj["Name"], "SubAccount")
    _unique(company, "Account", obj["FullyQualifiedName"], obj_id,
            "Another account is already using this name. Please use a different name.")  # fmt: skip
    obj.setdefault("Active", True)
    obj["Classification"] = classification
    obj.setdefault("AccountSubType", sub_type)
    obj.setdefault("CurrentBalance", 0)
    obj.setdefault("CurrentBalanceWithSubAccounts", obj["CurrentBalance"])
    obj.setdefault("CurrencyRef", company.home_currency())
    return obj


def prepare_class(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Class: a unique fully qualified name, optionally under a parent class."""
    _name_rules(obj, old, "Name", 100)
    obj["FullyQualifiedName"] = _hierarchy(company, obj, "Class", obj["Name"], "SubClass")
    _unique(company, "Class", obj["FullyQualifiedName"], obj_id,
            "Another class is already using this name. Please use a different name.")  # fmt: skip
    obj.setdefault("Active", True)
    return obj


def _display_name(obj: dict, old: dict | None) -> None:
    for part in PARTY_NAME_PARTS:
        _plain_name(_text(obj, part), part)
    if not _text(obj, "DisplayName"):
        parts = [
            _text(obj, k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
        ]
        obj["DisplayName"] = " ".join(p for p in parts if p) or _text(obj, "CompanyName")
    if not obj["DisplayName"]:
        raise faults.QboFault(
            "6080", "No Name Provided",
            "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must "
            "be non-empty",
        )  # fmt: skip
    _name_rules(obj, old, "DisplayName", 500)


# A customer's or vendor's open balance: its open documents, less the credit it has not used.
OPEN_BALANCE = {
    "Customer": (("Invoice", "Balance", 1), ("CreditMemo", "Balance", -1),
                 ("Payment", "UnappliedAmt", -1)),
    "Vendor": (("Bill", "Balance", 1), ("VendorCredit", "Balance", -1)),
}  # fmt: skip


def open_balance(company: Company, party: str, party_id: str) -> float:
    """What a customer owes (or a vendor is owed), computed from its transactions."""
    total = 0.0
    for entity, _, _ in OPEN_BALANCE[party]:
        party_key = SPECS[entity].party
        for doc in company.objects[entity].values():
            if doc.get(party_key, {}).get("value") == party_id:
                total += open_amount(entity, doc)
    return round(total, 2)


def open_amount(entity: str, doc: dict) -> float:
    """What one transaction adds to its party's open balance (a credit takes away)."""
    for rules in OPEN_BALANCE.values():
        for kind, field, sign in rules:
            if kind == entity:
                return sign * float(doc.get(field) or 0)
    return 0.0


def party_balance(company: Company, party: str, party_id: str) -> dict:
    """A customer's or vendor's Balance as QBO keeps it (and a customer's BalanceWithJobs,
    its own balance and its sub-customers')."""
    balance = open_balance(company, party, party_id)
    if party != "Customer":
        return {"Balance": balance}
    jobs = [
        job.get("BalanceWithJobs", 0)
        for job in company.objects["Customer"].values()
        if job.get("ParentRef", {}).get("value") == party_id and job["Id"] != party_id
    ]
    return {"Balance": balance, "BalanceWithJobs": round(balance + sum(jobs), 2)}


def _refuse_inactive_with_balance(
    company: Company, obj: dict, old: dict | None, party: str, obj_id: str
) -> None:
    """QBO keeps a customer or vendor active while its balance is open."""
    if old is None or old.get("Active") is False or obj.get("Active", True) is not False:
        return
    if balance := open_balance(company, party, obj_id):
        raise faults.business(
            f"This {party.lower()} has an open balance of {balance:.2f}, so it can't be made "
            "inactive. Close its open transactions first.",
            "Active",
        )


def prepare_customer(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Customer: a DisplayName unique across customers and vendors; sub-customers are jobs."""
    _refuse_inactive_with_balance(company, obj, old, "Customer", obj_id)
    _display_name(obj, old)
    _addresses(company, obj)
    _unique(company, "Party", obj["DisplayName"], f"Customer:{obj_id}",
            "Another customer, vendor or employee is already using this name.")  # fmt: skip
    obj.setdefault("Taxable", True)
    obj["FullyQualifiedName"] = _hierarchy(company, obj, "Customer", obj["DisplayName"], "Job")
    obj.setdefault("BillWithParent", False)
    obj.update(party_balance(company, "Customer", obj_id))
    obj.setdefault("CurrencyRef", company.home_currency())
    obj.setdefault("PreferredDeliveryMethod", "Print")
    obj.setdefault("PrintOnCheckName", _text(obj, "CompanyName") or obj["DisplayName"])
    obj.setdefault("Active", True)
    if old is None and obj["Taxable"]:
        obj.setdefault("DefaultTaxCodeRef", {"value": "2"})
    return obj


def prepare_vendor(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Vendor: a DisplayName unique across customers and vendors."""
    _refuse_inactive_with_balance(company, obj, old, "Vendor", obj_id)
    _display_name(obj, old)
    _addresses(company, obj)
    _unique(company, "Party", obj["DisplayName"], f"Vendor:{obj_id}",
            "Another customer, vendor or employee is already using this name.")  # fmt: skip
    obj.update(party_balance(company, "Vendor", obj_id))
    obj.setdefault("Vendor1099", False)
    obj.setdefault("CurrencyRef", company.home_currency())
    obj.setdefault("PrintOnCheckName", _text(obj, "CompanyName") or obj["DisplayName"])
    obj.setdefault("Active", True)
    return obj


# ---- the lists around sales and purchases: payment methods, terms, departments ---------
# Sources for each rule: README.md, "The company around sales and purchases".

PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")


def _taken(kind: str) -> str:
    return f"Another {kind} is already using this name. Please use a different name."


def _in_range(obj: dict, key: str, low: float, high: float) -> None:
    value = obj.get(key)
    if value is not None and not low <= value <= high:
        raise faults.business(f"{key} must be from {low} through {high}", key)


def prepare_payment_method(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """PaymentMethod: a unique name of at most 31 characters; a card or not."""
    _name_rules(obj, old, "Name", 31, mark_deleted=False)
    _unique(company, "PaymentMethod", obj["Name"], obj_id, _taken("payment method"))
    kind = obj.setdefault("Type", "NON_CREDIT_CARD")
    if kind not in PAYMENT_METHOD_TYPES:
        raise faults.business(f"Type must be one of {', '.join(PAYMENT_METHOD_TYPES)}", "Type")
    obj.setdefault("Active", True)
    return obj


def prepare_term(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Term: a unique name of at most 31 characters, due some days after the sale
    (STANDARD) or on a day of the month (DATE_DRIVEN)."""
    _name_rules(obj, old, "Name", 31, mark_deleted=False)
    _unique(company, "Term", obj["Name"], obj_id, _taken("term"))
    if obj.get("DueDays") is None and obj.get("DayOfMonthDue") is None:
        raise faults.required("DueDays")
    for key, low, high in (("DueDays", 0, 999), ("DiscountDays", 0, 999),
                           ("DayOfMonthDue", 1, 31), ("DiscountDayOfMonth", 0, 31),
                           ("DueNextMonthDays", 0, 999), ("DiscountPercent", 0, 100)):  # fmt: skip
        _in_range(obj, key, low, high)
    obj["Type"] = "STANDARD" if obj.get("DueDays") is not None else "DATE_DRIVEN"
    obj.setdefault("DiscountPercent", 0)
    obj.setdefault("Active", True)
    return obj


def prepare_department(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Department (a location): a unique fully qualified name, optionally under a parent."""
    _name_rules(obj, old, "Name", 100, mark_deleted=False)
    obj["FullyQualifiedName"] = _hierarchy(company, obj, "Department", obj["Name"], "SubDepartment")
    _unique(company, "Department", obj["FullyQualifiedName"], obj_id, _taken("department"))
    obj.setdefault("Active", True)
    return obj


# ---- Preferences and CompanyInfo: one object each, made with the company ------------------

# What an update cannot change: QBO keeps its own value whatever is sent (README, "The company
# around sales and purchases", which gives the sources and where they disagree).
READ_ONLY_PREFERENCES = {
    "AccountingInfoPrefs": ("FirstMonthOfFiscalYear", "UseAccountNumbers", "TaxYearMonth"),
    "ReportPrefs": ("CalcAgingReportFromTxnDate",),
}
READ_ONLY_COMPANY_INFO = ("CompanyStartDate",)


def prepare_preferences(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Preferences: update only; the read-only preferences keep their value."""
    for group, keys in READ_ONLY_PREFERENCES.items():
        kept = {key: old[group][key] for key in keys if key in (old or {}).get(group, {})}
        if kept or group in obj:
            section = {k: v for k, v in (obj.get(group) or {}).items() if k not in keys}
            obj[group] = {**section, **kept}
    return obj


def prepare_company_info(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """CompanyInfo: update only, with a CompanyName and a CompanyAddr; CompanyStartDate is
    QBO's own."""
    for key in ("CompanyName", "CompanyAddr"):
        if not obj.get(key):
            raise faults.required(key)
    for key in READ_ONLY_COMPANY_INFO:
        obj.pop(key, None)
        if key in (old or {}):
            obj[key] = old[key]
    return obj


def prepare_tax_rate(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """TaxRate: a percentage; made by the seeds only, as QBO's tax setup makes them."""
    obj["RateValue"] = money(obj.get("RateValue"), "RateValue")
    obj.setdefault("Active", True)
    obj.setdefault("SpecialTaxType", "NONE")
    obj.setdefault("DisplayType", "ReadOnly")
    return obj


def prepare_tax_code(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """TaxCode: the rates it applies to sales (and purchases); made by the seeds only."""
    for key in ("SalesTaxRateList", "PurchaseTaxRateList"):
        for detail in obj.setdefault(key, {"TaxRateDetail": []}).get("TaxRateDetail", []):
            _set_ref(company, detail, "TaxRateRef", "TaxRate", need=True)
    obj.setdefault("Active", True)
    obj.setdefault("Hidden", False)
    obj.setdefault("Taxable", True)
    obj.setdefault("TaxGroup", True)
    return obj


# ---- transactions -------------------------------------------------------------------------


def _class_ref(company: Company, detail: dict, per_line: bool) -> None:
    """A ClassRef is accepted only where the company's class tracking preference allows it.

    The refusal's code and wording are ours: no source records QBO's (README, Class tracking).
    """
    if not detail.get("ClassRef"):
        detail.pop("ClassRef", None)
        return
    prefs = company.get("Preferences", "1") or {}
    info = prefs.get("AccountingInfoPrefs", {})
    pref = "ClassTrackingPerTxnLine" if per_line else "ClassTrackingPerTxn"
    if not info.get(pref):
        raise faults.business(
            f"ClassRef is not allowed here: turn on {pref} in Preferences first", "ClassRef"
        )
    _set_ref(company, detail, "ClassRef", "Class")


def _lines(company: Company, entity: str, obj: dict, old: dict | None) -> list[dict]:
    """The lines of a write, checked against what `entity` takes (LINE_RULES) and numbered.

    Each line that has an amount of its own gets it; subtotal and discount lines are worked out
    from the others by `_sales_totals`.
    """
    kinds = LINE_RULES[entity]
    used = [int(x["Id"]) for x in (old or {}).get("Line", []) if str(x.get("Id", "")).isdigit()]
    next_id = max(used, default=0) + 1
    out, numbered = [], 0
    for line in obj.get("Line") or []:
        kind = line.get("DetailType")
        if kind not in kinds:
            raise (
                faults.required("DetailType")
                if not kind
                else faults.business(
                    f"DetailType {kind} is not supported on this transaction", "DetailType"
                )
            )
        key = DETAIL_PROPERTY.get(kind, kind)
        detail = dict(line.get(key) or {})
        amount = kinds[kind](company, detail, line)
        new = {}
        if kind not in WORKED_OUT:
            line_id = str(line.get("Id") or "")
            if not line_id.isdigit() or int(line_id) not in used:
                line_id, next_id = str(next_id), next_id + 1
            numbered += 1
            new = {"Id": line_id, "LineNum": numbered}
        if line.get("Description") is not None:
            new["Description"] = line["Description"]
        new.update({"Amount": amount, "DetailType": kind, key: detail})
        out.append(new)
    if not numbered:
        raise faults.required("Line")
    return out


def _line_amount(detail: dict, line: dict) -> float:
    for key in ("Qty", "UnitPrice"):
        if detail.get(key) is not None:
            detail[key] = _quantity(detail[key], key)
    if line.get("Amount") is not None:
        return money(line["Amount"], "Amount")
    if detail.get("Qty") is not None and detail.get("UnitPrice") is not None:
        return round(detail["Qty"] * detail["UnitPrice"], 2)
    raise faults.required("Amount")


def _item_detail(company: Company, detail: dict, line: dict) -> float:
    # QBO answers 2500, not 610, for an inactive item on a line (README, "Faults").
    item = ref(
        company, detail.get("ItemRef"), "Item", "ItemRef", need=True,
        inactive=faults.inactive_reference,
    )  # fmt: skip
    if company.get("Item", item["value"]).get("Type") == "Category":
        raise faults.category_on_a_line()
    detail["ItemRef"] = item
    _class_ref(company, detail, per_line=True)
    return _line_amount(detail, line)


def _sales_line(company: Company, detail: dict, line: dict) -> float:
    amount = _item_detail(company, detail, line)
    # Automated sales tax taxes a line that does not say NON; without sales tax, QBO marks
    # every line NON (as every recorded answer of Intuit's sandbox company shows).
    _line_tax_code(company, detail, default="TAX" if company.uses_sales_tax() else "NON")
    code = detail["TaxCodeRef"].get("value")
    if company.country() == "US" and code not in US_LINE_TAX_CODES:
        raise faults.QboFault(
            "6100", "Invalid Line TaxCode in the request",
            f"Valid Line TaxCodes for US should be TAX or NON. Supplied value:{code}",
            element="TaxCodeRef",
        )  # fmt: skip
    return amount


def _item_expense_line(company: Company, detail: dict, line: dict) -> float:
    amount = _item_detail(company, detail, line)
    detail.setdefault("BillableStatus", "NotBillable")
    _line_tax_code(company, detail, default="NON")
    return amount


def _account_expense_line(company: Company, detail: dict, line: dict) -> float:
    _set_ref(company, detail, "AccountRef", "Account", need=True)
    _class_ref(company, detail, per_line=True)
    detail.setdefault("BillableStatus", "NotBillable")
    _line_tax_code(company, detail, default="NON")
    if line.get("Amount") is None:
        raise faults.required("Amount")
    return money(line["Amount"], "Amount")


def _description_line(company: Company, detail: dict, line: dict) -> float:
    return 0.0  # text only: QBO counts no amount on it, whatever was sent


def _group_line(company: Company, detail: dict, line: dict) -> float:
    """A bundle: QBO puts the group item's own lines inside it, times its Quantity."""
    group = ref(
        company, detail.get("GroupItemRef"), "Item", "GroupItemRef", need=True,
        inactive=faults.inactive_reference,
    )  # fmt: skip
    item = company.get("Item", group["value"])
    if item.get("Type") != "Group":
        raise faults.business(
            f"GroupItemRef {group['value']} is a {item.get('Type')} item, not a Group (bundle)",
            "GroupItemRef",
        )
    detail["GroupItemRef"] = group
    quantity = _quantity(detail.get("Quantity", 1), "Quantity")
    detail["Quantity"] = quantity
    parts = (item.get("ItemGroupDetail") or {}).get("ItemGroupLine") or []
    detail["Line"] = []
    for number, part in enumerate(parts, start=1):
        component = company.get("Item", _ref_value(part.get("ItemRef"))) or {}
        part_detail = {
            "ItemRef": part.get("ItemRef"),
            "Qty": _quantity(float(part.get("Qty", 1)) * quantity, "Qty"),
            "UnitPrice": component.get("UnitPrice", 0),
        }
        amount = _sales_line(company, part_detail, {})
        detail["Line"].append({"LineNum": number, "Amount": amount,
                               "DetailType": "SalesItemLineDetail",
                               "SalesItemLineDetail": part_detail})  # fmt: skip
    return round(sum(part["Amount"] for part in detail["Line"]), 2)


def _discount_line(company: Company, detail: dict, line: dict) -> float:
    """A discount on the whole sale: a percentage of the subtotal, or an amount."""
    _set_ref(company, detail, "DiscountAccountRef", "Account")
    _class_ref(company, detail, per_line=True)
    if detail.get("PercentBased"):
        percent = detail.get("DiscountPercent")
        if percent is None or not 0 <= float(percent) <= 100:
            raise faults.business(
                "DiscountPercent must be from 0 to 100 when PercentBased is true",
                "DiscountPercent",
            )
        return 0.0  # worked out from the subtotal by _sales_totals
    amount = money(line.get("Amount"), "Amount")
    if amount < 0:
        raise faults.business("A discount's Amount can't be negative", "Amount")
    return amount


def _subtotal_line(company: Company, detail: dict, line: dict) -> float:
    return 0.0  # the running sum above it, worked out by _sales_totals


def _sales_totals(lines: list[dict]) -> tuple[list[dict], float, float]:
    """A sales form's lines as QBO returns them, its subtotal and its discount.

    QBO adds its own subtotal after the last line, before the discount lines; a subtotal sent
    between lines stays and carries the sum of the item and bundle lines above it; neither adds
    to the total. A percentage discount is taken off the whole subtotal.
    """
    last = max(
        (i for i, line in enumerate(lines) if line["DetailType"] not in WORKED_OUT), default=-1
    )
    body, discounts, running = [], [], 0.0
    for index, line in enumerate(lines):
        kind = line["DetailType"]
        if kind == "DiscountLineDetail":
            discounts.append(line)
            continue
        if kind == "SubTotalLineDetail":
            if index > last:
                continue  # QBO's own subtotal takes its place (a read object sent back)
            line["Amount"] = round(running, 2)
        elif kind in ("SalesItemLineDetail", "GroupLineDetail"):
            running += line["Amount"]
        body.append(line)
    subtotal = round(running, 2)
    for line in discounts:
        detail = line["DiscountLineDetail"]
        if detail.get("PercentBased"):
            line["Amount"] = _percent_of(subtotal, detail["DiscountPercent"])
    discount = round(sum(line["Amount"] for line in discounts), 2)
    ours = {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    return [*body, ours, *discounts], subtotal, discount


def _item_lines(lines: list[dict]):
    """The item lines of a sales form, those inside its bundles included."""
    for line in lines:
        if line.get("DetailType") == "SalesItemLineDetail":
            yield line
        elif line.get("DetailType") == "GroupLineDetail":
            yield from _item_lines(line["GroupLineDetail"].get("Line", []))


# Which lines each transaction takes, and how each is checked; sources in README.md ("Lines"):
# Intuit's reference page of each entity lists its line types. Subtotal and discount lines
# have no Id or LineNum of their own and are worked out from the other lines.
SALES_FORM_LINES = {
    "SalesItemLineDetail": _sales_line,
    "GroupLineDetail": _group_line,
    "DescriptionOnly": _description_line,
    "DiscountLineDetail": _discount_line,
    "SubTotalLineDetail": _subtotal_line,
}
EXPENSE_LINES = {
    "ItemBasedExpenseLineDetail": _item_expense_line,
    "AccountBasedExpenseLineDetail": _account_expense_line,
}
LINE_RULES = {
    **dict.fromkeys(("Invoice", "Estimate", "SalesReceipt", "CreditMemo", "RefundReceipt"),
                    SALES_FORM_LINES),
    **dict.fromkeys(("Bill", "VendorCredit", "PurchaseOrder"), EXPENSE_LINES),
}  # fmt: skip
WORKED_OUT = frozenset({"SubTotalLineDetail", "DiscountLineDetail"})
# The property holding a line's detail, where it is not named after the DetailType.
DETAIL_PROPERTY = {"DescriptionOnly": "DescriptionLineDetail"}


# ---- sales tax: sources in README.md, "Sales tax and company country" ---------------------

US_LINE_TAX_CODES = ("TAX", "NON")
# How QBO names the tax in its 6000 for a line without a tax code, by CompanyInfo.Country.
TAX_NAMES = {"CA": "GST/HST", "GB": "VAT"}
_CENT = Decimal("0.01")


def _line_tax_code(company: Company, detail: dict, default: str) -> None:
    """The line's TaxCodeRef: outside the US a tax code the company has, required."""
    code = detail.get("TaxCodeRef")
    if company.country() == "US" or not company.uses_sales_tax():
        if not code:
            detail["TaxCodeRef"] = {"value": default}
        return
    if not code:
        tax = TAX_NAMES.get(company.country(), "GST/HST/VAT")
        raise faults.business(f"Make sure all your transactions have a {tax} rate before you save.")
    detail["TaxCodeRef"] = ref(company, code, "TaxCode", "TaxCodeRef")


def _percent_of(amount: float, percent: float) -> float:
    tax = Decimal(str(amount)) * Decimal(str(percent)) / 100
    return float(tax.quantize(_CENT, rounding=ROUND_HALF_UP))


def _split(total: float, weights: dict[str, float]) -> dict[str, float]:
    """`total` shared out in proportion to `weights`, the last share taking what rounding left."""
    keys, whole = list(weights), sum(weights.values())
    shares = {key: round(total * weights[key] / whole, 2) if whole else 0.0 for key in keys[:-1]}
    shares[keys[-1]] = round(total - sum(shares.values()), 2)
    return shares


def _sales_tax(company: Company, obj: dict, old: dict | None, taxed_share: float = 1.0) -> float:
    """TxnTaxDetail as QBO's tax engine fills it in; returns its TotalTax.

    In the US the automated sales tax engine taxes the TAX lines at the rates of the code it
    picks (the sandbox: Preferences.TaxPrefs.TaxGroupCodeRef); elsewhere each line's own tax
    code applies. A TotalTax sent with the transaction is honoured and prorated over the rates.
    `taxed_share` is what is left of the subtotal once a discount taken before tax is off.
    """
    sent = obj.get("TxnTaxDetail") or {}
    if old is not None and sent == old.get("TxnTaxDetail"):
        sent = {}  # the answer stored last time, sent back as it was: not an override
    if not company.uses_sales_tax():
        obj["TxnTaxDetail"] = {"TotalTax": 0}  # ignored and not stored, Intuit says
        return 0.0
    us = company.country() == "US"
    assigned = _ref_value(company.preferences("TaxPrefs").get("TaxGroupCodeRef")) if us else None
    bases: dict[str, float] = {}
    for line in _item_lines(obj["Line"]):
        code = line["SalesItemLineDetail"].get("TaxCodeRef", {}).get("value")
        if us:
            code = assigned if code == "TAX" else None
        for rate_id in _rate_ids(company, code):
            bases[rate_id] = round(bases.get(rate_id, 0) + line["Amount"], 2)
    bases = {rate_id: round(base * taxed_share, 2) for rate_id, base in bases.items()}
    override = sent.get("TotalTax")
    if override is not None and not bases and assigned:
        bases = dict.fromkeys(_rate_ids(company, assigned), 0.0)  # AST prorates over its code
    taxes = {
        rate_id: _percent_of(base, company.get("TaxRate", rate_id)["RateValue"])
        for rate_id, base in bases.items()
    }
    if override is not None and bases:
        taxes = _split(money(override, "TotalTax"), taxes if any(taxes.values()) else bases)
    detail = {"TxnTaxCodeRef": {"value": assigned}} if assigned else {}
    detail["TotalTax"] = round(sum(taxes.values()), 2)
    if taxes:
        detail["TaxLine"] = [
            {"Amount": tax, "DetailType": "TaxLineDetail", "TaxLineDetail": {
                "TaxRateRef": {"value": rate_id}, "PercentBased": True,
                "TaxPercent": company.get("TaxRate", rate_id)["RateValue"],
                "NetAmountTaxable": bases[rate_id]}}
            for rate_id, tax in taxes.items()
        ]  # fmt: skip
    obj["TxnTaxDetail"] = detail
    return detail["TotalTax"]


def _rate_ids(company: Company, code_id: str | None) -> list[str]:
    """The sales tax rates a tax code applies."""
    code = company.get("TaxCode", code_id) if code_id else None
    details = (code or {}).get("SalesTaxRateList", {}).get("TaxRateDetail", [])
    return [detail["TaxRateRef"]["value"] for detail in details]


# ---- transaction headers and documents ----------------------------------------------------


# The references a transaction header may carry to the lists around sales and purchases.
HEADER_REFS = (("SalesTermRef", "Term"), ("PaymentMethodRef", "PaymentMethod"),
               ("DepartmentRef", "Department"))  # fmt: skip


def _txn_header(company: Company, obj: dict, party: str, party_entity: str, need: bool) -> date:
    _set_ref(company, obj, party, party_entity, need=need)
    _class_ref(company, obj, per_line=False)
    for key, entity in HEADER_REFS:
        _set_ref(company, obj, key, entity)
    txn_date = _day(obj.get("TxnDate"), company.today())
    obj["TxnDate"] = txn_date.isoformat()
    obj.setdefault("CurrencyRef", company.home_currency())
    return txn_date


def _linked(company: Company, entity: str, obj_id: str, total: float, obj: dict) -> None:
    """Balance and LinkedTxn of a document that payments can be applied to."""
    applied = company.applied_to(entity, obj_id)
    balance = round(total - sum(applied.values()), 2)
    if balance < 0:
        raise faults.business(
            "The total is less than the payments already applied to this transaction", "Line"
        )
    obj["LinkedTxn"] = [{"TxnId": k.split(":")[1], "TxnType": k.split(":")[0]} for k in applied]
    obj["Balance"] = balance


@dataclass(frozen=True)
class DocNumberRule:
    """Where QBO looks for a transaction already holding a DocNumber, and when it looks."""

    series: tuple[str, ...]  # entities whose numbers may not repeat; they share auto-numbers
    same: tuple[str, ...] = ()  # fields the holder must share too, such as a bill's vendor
    preference: str | None = None  # the Preferences.OtherPrefs flag that turns the check on


# Sources for each rule are in README.md ("Document numbers"): Intuit's entity pages, the
# SDKs' allowduplicatedocnum tests, and 6140s reported by other integrations.
SALES_FORMS = ("Invoice", "SalesReceipt", "CreditMemo")
DOC_NUMBER_RULES = {
    **{entity: DocNumberRule(SALES_FORMS) for entity in SALES_FORMS},
    "Estimate": DocNumberRule(("Estimate",)),
    "Bill": DocNumberRule(("Bill",), same=("VendorRef",), preference="WarnDuplicateBillNumber"),
    "VendorCredit": DocNumberRule(("VendorCredit",)),
    "BillPayment:Check": DocNumberRule(
        ("BillPayment",), same=("PayType",), preference="WarnDuplicateCheckNumber"
    ),
    "BillPayment:CreditCard": DocNumberRule(("BillPayment",), same=("PayType",)),
}
# How a 6140 names the type of the transaction that holds the number.
TXN_TYPE_NAMES = {"SalesReceipt": "Sales Receipt", "CreditMemo": "Credit Memo",
                  "VendorCredit": "Vendor Credit", "BillPayment": "Bill Payment"}  # fmt: skip


def _doc_number_rule(entity: str, obj: dict) -> DocNumberRule | None:
    key = f"{entity}:{obj.get('PayType')}" if entity == "BillPayment" else entity
    return DOC_NUMBER_RULES.get(key)


def _ref_value(value: object) -> object:
    return value.get("value") if isinstance(value, dict) else value


def _number_holder(company: Company, rule: DocNumberRule, number: str, obj: dict):
    """(entity, object) of the transaction that already holds `number` under `rule`, or None."""
    for entity in rule.series:
        for other in company.objects[entity].values():
            if _text(other, "DocNumber") == number and all(
                _ref_value(other.get(key)) == _ref_value(obj.get(key)) for key in rule.same
            ):
                return entity, other
    return None


def _other_pref(company: Company, name: str) -> bool:
    prefs = company.get("Preferences", "1") or {}
    pairs = prefs.get("OtherPrefs", {}).get("NameValue", [])
    return any(pair.get("Name") == name and pair.get("Value") == "true" for pair in pairs)


def check_doc_number(company: Company, entity: str, obj: dict, old: dict | None) -> None:
    """6140 when the DocNumber a write sets is already used where QBO looks for it."""
    number = _text(obj, "DocNumber")
    rule = _doc_number_rule(entity, obj)
    if not number or rule is None or (old is not None and _text(old, "DocNumber") == number):
        return
    if rule.preference and not _other_pref(company, rule.preference):
        return
    if holder := _number_holder(company, rule, number, obj):
        holder_entity, other = holder
        txn_type = TXN_TYPE_NAMES.get(holder_entity, holder_entity)
        raise faults.duplicate_doc_number(number, txn_type, other["Id"])


def custom_txn_numbers(company: Company) -> bool:
    """Preferences.SalesFormsPrefs.CustomTxnNumbers: on, QBO numbers no sales form itself."""
    return company.preferences("SalesFormsPrefs").get("CustomTxnNumbers") is True


def _next_doc_number(company: Company, rule: DocNumberRule) -> str:
    """QBO's next number in a series, skipping numbers users have typed in."""
    while True:
        number = company.next_in(rule.series[0], start=1001)
        if _number_holder(company, rule, number, {}) is None:
            return number


def _sales_doc(company: Company, obj: dict, old: dict | None, entity: str, need: bool) -> date:
    txn_date = _txn_header(company, obj, "CustomerRef", "Customer", need)
    if old is not None and old.get("CustomerRef") and company.applied_to(entity, old["Id"]):
        if obj.get("CustomerRef", {}).get("value") != old["CustomerRef"]["value"]:
            raise faults.business("The customer can't change once payments are applied")
    custom = company.custom_fields()
    if custom:
        obj.setdefault("CustomField", custom)
    if not obj.get("DocNumber") and old is not None and old.get("DocNumber"):
        obj["DocNumber"] = old["DocNumber"]  # an update that leaves the number out keeps it
    elif not obj.get("DocNumber") and not custom_txn_numbers(company):
        obj["DocNumber"] = _next_doc_number(company, DOC_NUMBER_RULES[entity])
    obj["Line"], subtotal, discount = _sales_totals(_lines(company, entity, obj, old))
    # Intuit: "If false or null, calculate the sales tax first, and then apply the discount."
    obj.setdefault("ApplyTaxAfterDiscount", False)
    after = obj["ApplyTaxAfterDiscount"] is True and subtotal
    tax = _sales_tax(company, obj, old, (subtotal - discount) / subtotal if after else 1.0)
    customer = company.get("Customer", obj["CustomerRef"]["value"]) if "CustomerRef" in obj else {}
    for key in ("BillAddr", "ShipAddr"):
        if key not in obj and key in customer:
            obj[key] = customer[key]
    _addresses(company, obj)
    obj["TotalAmt"] = round(subtotal - discount + tax, 2)
    obj.setdefault("PrintStatus", "NeedToPrint")
    obj.setdefault("EmailStatus", "NotSet")
    return txn_date


def prepare_invoice(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Invoice: an active customer and item lines; TotalAmt and Balance come from the lines."""
    for key in ("AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment",
                "AllowOnlineACHPayment"):  # fmt: skip
        obj.setdefault(key, False)
    txn_date = _sales_doc(company, obj, old, "Invoice", need=True)
    obj["DueDate"] = _due_date(company, obj, txn_date)
    _linked(company, "Invoice", obj_id, obj["TotalAmt"], obj)
    return obj


def prepare_credit_memo(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """CreditMemo: like an invoice; its Balance is the credit that remains."""
    _sales_doc(company, obj, old, "CreditMemo", need=True)
    obj["Balance"] = obj["RemainingCredit"] = obj["TotalAmt"]
    return obj


def prepare_sales_receipt(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """SalesReceipt: a sale paid at once, deposited to Undeposited Funds unless told otherwise."""
    _sales_doc(company, obj, old, "SalesReceipt", need=False)
    obj.setdefault("DepositToAccountRef", company.undeposited_funds())
    _set_ref(company, obj, "DepositToAccountRef", "Account")
    obj["Balance"] = 0
    return obj


def prepare_estimate(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Estimate: a quote; it has a status and no balance."""
    _sales_doc(company, obj, old, "Estimate", need=True)
    obj.setdefault("TxnStatus", "Pending")
    return obj


def _purchase_doc(company: Company, obj: dict, old: dict | None, entity: str) -> date:
    txn_date = _txn_header(company, obj, "VendorRef", "Vendor", need=True)
    obj["Line"] = _lines(company, entity, obj, old)
    obj["TotalAmt"] = round(sum(line["Amount"] for line in obj["Line"]), 2)
    obj.setdefault("APAccountRef", company.accounts_payable())
    _set_ref(company, obj, "APAccountRef", "Account")
    return txn_date


def prepare_bill(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Bill: an active vendor and item or account lines; Balance drops as it is paid."""
    txn_date = _purchase_doc(company, obj, old, "Bill")
    obj["DueDate"] = _due_date(company, obj, txn_date)
    _linked(company, "Bill", obj_id, obj["TotalAmt"], obj)
    return obj


# QBO numbers purchase orders in a series of their own; no source says it refuses a repeat.
PURCHASE_ORDER_NUMBERS = DocNumberRule(("PurchaseOrder",))


def prepare_purchase_order(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """PurchaseOrder: an order to a vendor that posts nothing; QBO numbers it, and it is Open
    until closed."""
    _purchase_doc(company, obj, old, "PurchaseOrder")
    if not obj.get("DocNumber"):
        kept = (old or {}).get("DocNumber")
        obj["DocNumber"] = kept or _next_doc_number(company, PURCHASE_ORDER_NUMBERS)
    obj.setdefault("POStatus", "Open")
    obj.setdefault("EmailStatus", "NotSet")
    return obj


def prepare_vendor_credit(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """VendorCredit: like a bill, owed to us."""
    _purchase_doc(company, obj, old, "VendorCredit")
    obj["Balance"] = obj["TotalAmt"]
    return obj


def _payment_lines(company: Company, obj: dict, spec: Spec, obj_id: str) -> float:
    """Check that each line links an open document of the same party; return the applied sum."""
    party = obj[spec.party]["value"]
    pay_key = f"{spec.name}:{obj_id}"
    per_doc: dict[str, float] = {}
    out = []
    for line in obj.get("Line") or []:
        amount = money(line.get("Amount"), "Amount")
        linked = line.get("LinkedTxn") or []
        if amount <= 0 or len(linked) != 1:
            raise faults.business(
                f"Each payment line needs a positive Amount and one LinkedTxn to a {spec.pays}",
                "Line",
            )
        txn_id, txn_type = str(linked[0].get("TxnId", "")), linked[0].get("TxnType")
        if txn_type != spec.pays:
            raise faults.business(f"A {spec.name} line can only link a {spec.pays}", "LinkedTxn")
        doc = company.get(spec.pays, txn_id)
        if doc is None:
            raise faults.not_found("LinkedTxn")
        if doc[spec.party]["value"] != party:
            raise faults.business(
                f"{spec.pays} {txn_id} belongs to another {spec.party[:-3].lower()}", "LinkedTxn"
            )
        per_doc[txn_id] = round(per_doc.get(txn_id, 0) + amount, 2)
        already = company.applied_to(spec.pays, txn_id).get(pay_key, 0)
        if per_doc[txn_id] > round(doc["Balance"] + already, 2):
            raise faults.business(
                f"The amount applied to {spec.pays} {txn_id} is more than its open balance",
                "Amount",
            )
        out.append({"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]})
    obj["Line"] = out
    return round(sum(per_doc.values()), 2)


def prepare_payment(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """Payment: a customer paying open invoices of their own; the rest stays unapplied."""
    _txn_header(company, obj, "CustomerRef", "Customer", need=True)
    if obj.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    obj["TotalAmt"] = money(obj["TotalAmt"], "TotalAmt")
    obj.setdefault("DepositToAccountRef", company.undeposited_funds())
    _set_ref(company, obj, "DepositToAccountRef", "Account")
    applied = _payment_lines(company, obj, SPECS["Payment"], obj_id)
    if applied > obj["TotalAmt"]:
        raise faults.business("The amount applied is more than the payment's TotalAmt", "TotalAmt")
    obj["UnappliedAmt"] = round(obj["TotalAmt"] - applied, 2)
    obj.setdefault("ProcessPayment", False)
    return obj


def prepare_bill_payment(company: Company, obj: dict, old: dict | None, obj_id: str) -> dict:
    """BillPayment: a check (or card) paying open bills of the same vendor."""
    _txn_header(company, obj, "VendorRef", "Vendor", need=True)
    pay_type = obj.get("PayType")
    if pay_type not in {"Check", "CreditCard"}:
        raise faults.required("PayType")
    holder, account_key, account_type = {
        "Check": ("CheckPayment", "BankAccountRef", "Bank"),
        "CreditCard": ("CreditCardPayment", "CCAccountRef", "Credit Card"),
    }[pay_type]
    payment = dict(obj.get(holder) or {})
    _set_ref(company, payment, account_key, "Account", need=True)
    if company.get("Account", payment[account_key]["value"])["AccountType"] != account_type:
        raise faults.business(f"{account_key} must be a {account_type} account", account_key)
    if pay_type == "Check":
        payment.setdefault("PrintStatus", "NotSet")
    obj[holder] = payment
    if obj.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    obj["TotalAmt"] = money(obj["TotalAmt"], "TotalAmt")
    obj.setdefault("APAccountRef", company.accounts_payable())
    _set_ref(company, obj, "APAccountRef", "Account")
    if _payment_lines(company, obj, SPECS["BillPayment"], obj_id) > obj["TotalAmt"]:
        raise faults.business("The amount applied is more than the payment's TotalAmt", "TotalAmt")
    return obj


SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("Item", "list", prepare_item, order=("Name",)),
        Spec("Account", "list", prepare_account, order=("FullyQualifiedName",)),
        Spec("Class", "list", prepare_class, order=("FullyQualifiedName",)),
        Spec(
            "Customer",
            "list",
            prepare_customer,
            order=("DisplayName",),
            keep=("DefaultTaxCodeRef",),
        ),  # fmt: skip
        Spec("Vendor", "list", prepare_vendor, order=("DisplayName",)),
        Spec("Invoice", "txn", prepare_invoice, void_by="operation", party="CustomerRef"),
        Spec("CreditMemo", "txn", prepare_credit_memo, party="CustomerRef"),
        Spec("SalesReceipt", "txn", prepare_sales_receipt, void_by="include", party="CustomerRef"),
        Spec("Estimate", "txn", prepare_estimate, party="CustomerRef"),
        Spec(
            "Payment",
            "txn",
            prepare_payment,
            void_by="include",
            party="CustomerRef",
            pays="Invoice",
        ),  # fmt: skip
        Spec("Bill", "txn", prepare_bill, party="VendorRef"),
        Spec("VendorCredit", "txn", prepare_vendor_credit, party="VendorRef"),
        Spec(
            "BillPayment",
            "txn",
            prepare_bill_payment,
            void_by="include",
            party="VendorRef",
            pays="Bill",
        ),  # fmt: skip
        Spec("PurchaseOrder", "txn", prepare_purchase_order, party="VendorRef"),
        Spec("Preferences", "single", prepare_preferences),
        Spec("CompanyInfo", "single", prepare_company_info),
        Spec("PaymentMethod", "list", prepare_payment_method, order=("Name",)),
        Spec("Term", "list", prepare_term, order=("Name",)),
        Spec("Department", "list", prepare_department, order=("FullyQualifiedName",)),
        Spec("TaxCode", "list", prepare_tax_code, order=("Name",), read_only=True),
        Spec("TaxRate", "list", prepare_tax_rate, order=("Name",), read_only=True),
    )
}
BY_PATH = {spec.path: spec for spec in SPECS.values()}
QUERYABLE = {name.lower(): name for name in SPECS}


def queryable_fields(entity: str) -> set[str]:
    """Fields a WHERE or ORDERBY may name on this entity: those Intuit's schema gives it."""
    return set(contract.load().properties(entity))
