"""The seeded companies, modelled on Intuit's sample company but for a cannabis distributor.

One chart of accounts and one set of sample data; the seeds differ in country, sales tax and
numbering (README.md, "Sales tax and company country").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from integrations.sandbox.backend import DEFAULT_COMPANY_NAME, stamp
from integrations.sandbox.entities import SPECS

if TYPE_CHECKING:
    from integrations.sandbox.backend import Company

SEED_AGE = timedelta(days=3)  # seeded objects predate any CDC watermark a test takes

# (Name, AccountType, AccountSubType, parent name or None, active)
ACCOUNTS = [
    ("Checking", "Bank", "Checking", None, True),
    ("Savings", "Bank", "Savings", None, True),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None, True),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", None, True),
    ("Inventory Asset", "Other Current Asset", "Inventory", None, True),
    ("Delivery Vehicles", "Fixed Asset", "Vehicles", None, True),
    ("Security Deposits", "Other Asset", "SecurityDeposits", None, True),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None, True),
    ("Company Card", "Credit Card", "CreditCard", None, True),
    ("Excise Tax Payable", "Other Current Liability", "OtherCurrentLiabilities", None, True),
    ("Cultivation Tax Payable", "Other Current Liability", "OtherCurrentLiabilities", None, True),
    ("Equipment Loan", "Long Term Liability", "NotesPayable", None, True),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity", None, True),
    ("Retained Earnings", "Equity", "RetainedEarnings", None, True),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", None, True),
    ("Services", "Income", "ServiceFeeIncome", None, True),
    ("Fees Billed", "Income", "ServiceFeeIncome", None, False),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None, True),
    ("Packaging", "Cost of Goods Sold", "SuppliesMaterialsCogs", None, True),
    ("Shipping and Delivery", "Expense", "ShippingFreightDelivery", None, True),
    ("Fuel", "Expense", "Auto", "Shipping and Delivery", True),
    ("Lab Testing", "Expense", "OtherMiscellaneousServiceCost", None, True),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None, True),
    ("Interest Earned", "Other Income", "InterestEarned", None, True),
    ("Penalties and Settlements", "Other Expense", "PenaltiesSettlements", None, True),
]

# (Name, parent name or None, active)
CLASSES = [
    ("Retail Delivery", None, True),
    ("Wholesale", None, True),
    ("Northern California", "Wholesale", True),
    ("Southern California", "Wholesale", True),
    ("Los Angeles", "Southern California", True),
    ("Events", None, False),
]

_SALE = {"IncomeAccountRef": "Sales of Product Income", "ExpenseAccountRef": "Cost of Goods Sold"}
_SERVICE = {"IncomeAccountRef": "Services"}
_STOCK = {**_SALE, "AssetAccountRef": "Inventory Asset"}
# (Name, Type, accounts by name, extra fields, active, parent name or None)
ITEMS = [
    ("Services", "Service", _SERVICE, {}, True, None),
    ("Distribution Fee", "Service", _SERVICE, {"UnitPrice": 150}, True, None),
    (
        "Lab Testing Fee",
        "Service",
        {**_SERVICE, "ExpenseAccountRef": "Lab Testing"},
        {"UnitPrice": 95, "PurchaseCost": 80},
        True,
        None,
    ),  # fmt: skip
    ("Excise Tax", "Service", {"IncomeAccountRef": "Excise Tax Payable"}, {}, True, None),
    ("Discontinued Tincture", "Service", _SERVICE, {}, False, None),
    ("Flower", "Category", {}, {}, True, None),
    ("Edibles", "Category", {}, {}, True, None),
    ("Concentrates (old)", "Category", {}, {}, False, None),
    (
        "Blue Dream 3.5g",
        "NonInventory",
        _SALE,
        {"Sku": "BD-35", "UnitPrice": 25, "PurchaseCost": 12},
        True,
        "Flower",
    ),  # fmt: skip
    (
        "Wedding Cake 3.5g",
        "NonInventory",
        _SALE,
        {"Sku": "WC-35", "UnitPrice": 28, "PurchaseCost": 13.5},
        True,
        "Flower",
    ),  # fmt: skip
    (
        "OG Kush 1g Pre-Roll",
        "NonInventory",
        _SALE,
        {"Sku": "OGK-PR1", "UnitPrice": 8, "PurchaseCost": 3.25},
        True,
        None,
    ),  # fmt: skip
    (
        "Sour Diesel Cartridge 0.5g",
        "NonInventory",
        _SALE,
        {"Sku": "SD-C05", "UnitPrice": 30, "PurchaseCost": 14},
        True,
        None,
    ),  # fmt: skip
    (
        "Gummies 100mg (10 pack)",
        "NonInventory",
        _SALE,
        {"Sku": "GUM-100", "UnitPrice": 18, "PurchaseCost": 7},
        True,
        "Edibles",
    ),  # fmt: skip
    (
        "Exit Bags (child resistant)",
        "NonInventory",
        _SALE,
        {"UnitPrice": 0.5, "PurchaseCost": 0.2},
        True,
        None,
    ),  # fmt: skip
    ("Old Label Pre-Roll", "NonInventory", _SALE, {"UnitPrice": 6}, False, None),
    (
        "Glass Jars 1/8oz",
        "Inventory",
        _STOCK,
        {"UnitPrice": 1.5, "PurchaseCost": 0.6, "QtyOnHand": 500, "InvStartDate": "2024-01-01"},
        True,
        None,
    ),  # fmt: skip
    (
        "Legacy Vape Battery",
        "Inventory",
        _STOCK,
        {"UnitPrice": 12, "QtyOnHand": 0, "InvStartDate": "2023-01-01"},
        False,
        None,
    ),  # fmt: skip
    ("Starter Bundle", "Group", {}, {}, True, None),
    ("Holiday Bundle", "Group", {}, {}, False, None),
]


def _address(addr_id: str, line1: str, city: str, postal: str, lat: str, lng: str) -> dict:
    return {"Id": addr_id, "Line1": line1, "City": city, "CountrySubDivisionCode": "CA",
            "PostalCode": postal, "Lat": lat, "Long": lng}  # fmt: skip


_MARYS = _address("2", "4581 Mission St.", "San Francisco", "94112", "INVALID", "INVALID")
_HARBOR = _address("6", "1840 Embarcadero", "Oakland", "94606", "37.7795", "-122.2340")
_SUNSET = _address("7", "370 Sunset Blvd.", "Los Angeles", "90028", "34.0983", "-118.3267")
CUSTOMERS = [
    {"DisplayName": "Mary's Dispensary", "GivenName": "Mary", "FamilyName": "Lopez",
     "CompanyName": "Mary's Dispensary", "BillAddr": _MARYS, "ShipAddr": _MARYS,
     "PrimaryPhone": {"FreeFormNumber": "(415) 555-3311"},
     "PrimaryEmailAddr": {"Address": "orders@marysdispensary.example"}},
    {"DisplayName": "Harborside Collective", "GivenName": "Peter", "FamilyName": "Duke",
     "CompanyName": "Harborside Collective", "BillAddr": _HARBOR, "ShipAddr": _HARBOR,
     "PrimaryPhone": {"FreeFormNumber": "(510) 555-5638"},
     "PrimaryEmailAddr": {"Address": "buyers@harborside.example"},
     "DefaultTaxCodeRef": {"value": "2"}},
    {"DisplayName": "Green Leaf Wellness"},
    {"DisplayName": "Sunset Cannabis Co.", "GivenName": "Kirby", "FamilyName": "Freeman",
     "CompanyName": "Sunset Cannabis Co.", "BillAddr": _SUNSET, "ShipAddr": _SUNSET,
     "Taxable": False, "PrimaryPhone": {"FreeFormNumber": "(323) 555-0987"},
     "Mobile": {"FreeFormNumber": "(323) 555-8849"}, "Fax": {"FreeFormNumber": "(323) 555-7894"},
     "PrimaryEmailAddr": {"Address": "ap@sunsetcannabis.example"},
     "WebAddr": {"URI": "http://sunsetcannabis.example"}},
    {"DisplayName": "Downtown Store", "GivenName": "Sasha", "FamilyName": "Tillou",
     "CompanyName": "Sunset Cannabis Co.", "BillAddr": _SUNSET, "ShipAddr": _SUNSET,
     "Taxable": False, "ParentRef": "Sunset Cannabis Co.",
     "PrimaryPhone": {"FreeFormNumber": "(323) 555-9933"}},
    {"DisplayName": "Redwood Remedies", "Active": False},
    {"DisplayName": "Pacific Greens & Co.", "CompanyName": "Pacific Greens & Co.",
     "PrimaryPhone": {"FreeFormNumber": "(619) 555-0022"}},
]  # fmt: skip
VENDORS = [
    {"DisplayName": "Emerald Farms", "GivenName": "Bessie", "FamilyName": "Williams",
     "CompanyName": "Emerald Farms", "AcctNum": "1345",
     "BillAddr": _address("31", "15 Main St.", "Garberville", "95542", "40.1", "-123.8"),
     "PrimaryPhone": {"FreeFormNumber": "(707) 555-7745"},
     "PrimaryEmailAddr": {"Address": "sales@emeraldfarms.example"},
     "WebAddr": {"URI": "http://emeraldfarms.example"}},
    {"DisplayName": "Hansen & Sons Packaging", "GivenName": "Jenny", "FamilyName": "Hansen",
     "CompanyName": "Hansen & Sons Packaging", "AcctNum": "000005641",
     "BillAddr": _address("43", "P.O. Box 147", "Fresno", "93650", "36.7", "-119.7"),
     "PrimaryPhone": {"FreeFormNumber": "(559) 557-1111"}},
    {"DisplayName": "Sierra Testing Labs"},
    {"DisplayName": "Humboldt Growers Co-op", "GivenName": "Nick", "FamilyName": "Brosnahan",
     "CompanyName": "Humboldt Growers Co-op", "TaxIdentifier": "XXXXXX9875",
     "AcctNum": "7653412", "Vendor1099": True,
     "BillAddr": _address("32", "P.O. Box 5", "Arcata", "95521", "40.8", "-124.0"),
     "PrimaryPhone": {"FreeFormNumber": "(707) 555-9912"},
     "Mobile": {"FreeFormNumber": "(707) 555-9874"}, "Fax": {"FreeFormNumber": "(707) 555-4567"},
     "WebAddr": {"URI": "http://humboldtgrowers.example"}},
    {"DisplayName": "Tony's Transport", "Title": "Mr.", "GivenName": "Tony",
     "MiddleName": "L", "FamilyName": "Rondon", "Suffix": "Jr.",
     "PrimaryEmailAddr": {"Address": "tony@transport.example"}},
    {"DisplayName": "Old Leaf Supply", "Active": False},
]  # fmt: skip

# The lists every new QBO company starts with, in the order (so with the ids) of Intuit's
# sample company: its PaymentMethod and Term pages (README, "The company around sales and
# purchases"). (Name, Type) and (Name, DueDays).
PAYMENT_METHODS = [
    ("Cash", "NON_CREDIT_CARD"), ("Check", "NON_CREDIT_CARD"), ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"), ("Discover", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"), ("Diners Club", "CREDIT_CARD"),
]  # fmt: skip
TERMS = [("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60), ("Net 10", 10)]
# (Name, parent name or None, active): the distributor's locations.
DEPARTMENTS = [
    ("Sacramento Warehouse", None, True),
    ("Bay Area", None, True),
    ("Oakland Hub", "Bay Area", True),
    ("Fresno Depot", None, False),
]

_MESSAGE_END = "\n\nThanks for your business!\nGreen Valley Distribution"
PREFERENCES = {
    "AccountingInfoPrefs": {
        "UseAccountNumbers": False,
        "TrackDepartments": False,
        "DepartmentTerminology": "Location",
        "ClassTrackingPerTxn": False,
        "ClassTrackingPerTxnLine": True,
        "FirstMonthOfFiscalYear": "January",
        "TaxYearMonth": "January",
        "TaxForm": "6",
        "CustomerTerminology": "Customers",
    },
    "ProductAndServicesPrefs": {
        "ForSales": True,
        "ForPurchase": True,
        "QuantityWithPriceAndRate": True,
        "QuantityOnHand": True,
    },
    "SalesFormsPrefs": {
        "CustomField": [
            {"CustomField": [
                {"Name": "SalesFormsPrefs.UseSalesCustom1", "Type": "BooleanType",
                 "BooleanValue": True},
                {"Name": "SalesFormsPrefs.UseSalesCustom2", "Type": "BooleanType",
                 "BooleanValue": False},
                {"Name": "SalesFormsPrefs.UseSalesCustom3", "Type": "BooleanType",
                 "BooleanValue": False},
            ]},
            {"CustomField": [
                {"Name": "SalesFormsPrefs.SalesCustomName1", "Type": "StringType",
                 "StringValue": "Manifest #"},
            ]},
        ],
        "EmailCopyToCompany": False,
        "AllowDeposit": False,
        "AllowDiscount": True,
        "DefaultDiscountAccount": "86",
        "AllowEstimates": True,
        "ETransactionEnabledStatus": "NotApplicable",
        "ETransactionAttachPDF": False,
        "ETransactionPaymentEnabled": False,
        "IPNSupportEnabled": False,
        "AllowServiceDate": False,
        "AllowShipping": False,
        "AutoApplyCredit": True,
        "AutoApplyPayments": True,
        "UsingPriceLevels": False,
        "DefaultTerms": {"value": "3"},
        "DefaultCustomerMessage": "Thank you for your business!",
    },
    # Every section the recorded Preferences have (ruckus/quickbooks-ruby
    # spec/fixtures/preferences.xml), with the distributor's own words in the messages.
    "EmailMessagesPrefs": {
        "InvoiceMessage": {"Subject": "Invoice from Green Valley Distribution",
                           "Message": "Here's your invoice! We appreciate your prompt payment."
                                      + _MESSAGE_END},
        "EstimateMessage": {"Subject": "Estimate from Green Valley Distribution",
                            "Message": "Please review the estimate below. Feel free to contact "
                                       "us if you have any questions." + _MESSAGE_END},
        "SalesReceiptMessage": {"Subject": "Sales Receipt from Green Valley Distribution",
                                "Message": "Your sales receipt is attached." + _MESSAGE_END},
        "StatementMessage": {"Subject": "Statement from Green Valley Distribution",
                             "Message": "Your statement is attached. Please remit payment at "
                                        "your earliest convenience." + _MESSAGE_END},
    },
    "VendorAndPurchasesPrefs": {
        "TrackingByCustomer": False,
        "BillableExpenseTracking": False,
        "POCustomField": [{"CustomField": [
            {"Name": f"PurchasePrefs.UsePurchaseCustom{n}", "Type": "BooleanType",
             "BooleanValue": False} for n in (3, 2, 1)
        ]}],
    },
    "TimeTrackingPrefs": {"UseServices": False, "BillCustomers": True, "ShowBillRateToAll": False,
                          "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": True},
    "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
    # The duplicate-number warnings as Intuit's recorded Preferences have them
    # (ruckus/quickbooks-ruby spec/fixtures/preferences.xml): checks on, bills and journals off.
    "OtherPrefs": {"NameValue": [
        {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business!"},
        {"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"},
        {"Name": "DTXCopyMemo", "Value": "true"},
        {"Name": "Vendor1099Enabled", "Value": "true"},
        {"Name": "TimeTrackingFeatureEnabled", "Value": "true"},
        {"Name": "ProjectsEnabled", "Value": "false"},
        {"Name": "DateFormat", "Value": "Month Date Year separated by a slash"},
        {"Name": "DateFormatMnemonic", "Value": "MMDDYYYY_SEP_SLASH"},
        {"Name": "NumberFormat", "Value": "US Number Format"},
        {"Name": "NumberFormatMnemonic", "Value": "US_NB"},
        {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
        {"Name": "WarnDuplicateBillNumber", "Value": "false"},
        {"Name": "WarnDuplicateJournalNumber", "Value": "false"},
        {"Name": "SignoutInactiveMinutes", "Value": "60"},
        {"Name": "AccountingInfoPrefs.ShowAccountNumbers", "Value": "false"},
    ]},
}  # fmt: skip


# The sample company's transactions: a few of each kind a developer finds in Intuit's sample
# company, dated in spring 2026, before any month the product's tests or its demo use. Parties,
# items, accounts and lists are named; the sandbox computes every total and balance, and each
# payment applies to documents by their DocNumber. Sales forms carry numbers typed in (the
# seed numbers its own documents: CustomTxnNumbers), purchase orders are numbered by QBO.
# (entity, customer, TxnDate, DocNumber, lines as (item, Qty, UnitPrice), other fields)
SALES = [
    ("Invoice", "Mary's Dispensary", "2026-04-06", "GV-1001",
     [("Blue Dream 3.5g", 40, 25), ("Exit Bags (child resistant)", 20, 0.5)], {}),
    ("Invoice", "Harborside Collective", "2026-04-13", "GV-1002",
     [("Wedding Cake 3.5g", 30, 28), ("Distribution Fee", 1, 150)], {}),
    ("SalesReceipt", "Green Leaf Wellness", "2026-04-20", "GV-1003", [("Lab Testing Fee", 5, 95)],
     {"PaymentMethodRef": ("PaymentMethod", "Cash"),
      "DepositToAccountRef": ("Account", "Checking")}),
    ("CreditMemo", "Harborside Collective", "2026-04-27", "GV-1004", [("Wedding Cake 3.5g", 2, 28)],
     {"PrivateNote": "Two jars returned damaged"}),
    ("Invoice", "Sunset Cannabis Co.", "2026-05-04", "GV-1005", [("OG Kush 1g Pre-Roll", 100, 8)],
     {"SalesTermRef": ("Term", "Net 15")}),
    ("SalesReceipt", "Mary's Dispensary", "2026-05-11", "GV-1006", [("Blue Dream 3.5g", 12, 25)],
     {"PaymentMethodRef": ("PaymentMethod", "Visa"), "PaymentRefNum": "VISA-5521"}),
    ("Invoice", "Downtown Store", "2026-05-18", "GV-1007", [("Gummies 100mg (10 pack)", 24, 18)],
     {"SalesTermRef": ("Term", "Net 30")}),
    ("Invoice", "Pacific Greens & Co.", "2026-06-01", "GV-1008",
     [("Sour Diesel Cartridge 0.5g", 10, 30)], {}),
    ("CreditMemo", "Sunset Cannabis Co.", "2026-06-02", "GV-1009", [("OG Kush 1g Pre-Roll", 5, 8)],
     {"PrivateNote": "Short shipped"}),
    ("Estimate", "Green Leaf Wellness", "2026-04-27", "EST-101",
     [("Gummies 100mg (10 pack)", 20, 18)], {"TxnStatus": "Accepted"}),
    ("Estimate", "Harborside Collective", "2026-05-25", "EST-102",
     [("Sour Diesel Cartridge 0.5g", 50, 30)], {"ExpirationDate": "2026-06-24"}),
]  # fmt: skip
# (customer, TxnDate, payment method, PaymentRefNum, TotalAmt, {invoice DocNumber: amount})
PAYMENTS = [
    ("Mary's Dispensary", "2026-04-20", "Check", "4417", 1010, {"GV-1001": 1010}),
    ("Harborside Collective", "2026-05-01", "Visa", "VISA-2208", 500, {"GV-1002": 500}),
    ("Pacific Greens & Co.", "2026-06-05", "Check", "1189", 350, {"GV-1008": 300}),
]
# (entity, vendor, TxnDate, DocNumber, item lines as (item, Qty, UnitPrice), account lines as
# (account, Amount), other fields)
PURCHASES = [
    ("Bill", "Emerald Farms", "2026-04-02", "EF-7781", [("Blue Dream 3.5g", 200, 12)], [], {}),
    ("Bill", "Hansen & Sons Packaging", "2026-04-09", "HS-2231",
     [("Exit Bags (child resistant)", 1000, 0.2)], [("Shipping and Delivery", 35)], {}),
    ("PurchaseOrder", "Humboldt Growers Co-op", "2026-04-15", None,
     [("Wedding Cake 3.5g", 150, 13.5)], [], {"POStatus": "Closed"}),
    ("Bill", "Sierra Testing Labs", "2026-05-05", "STL-0412", [("Lab Testing Fee", 10, 80)], [],
     {"SalesTermRef": ("Term", "Net 30")}),
    ("Bill", "Humboldt Growers Co-op", "2026-05-20", "HGC-118", [("Wedding Cake 3.5g", 150, 13.5)],
     [], {}),
    ("VendorCredit", "Humboldt Growers Co-op", "2026-05-27", "HGC-CR-9",
     [("Wedding Cake 3.5g", 10, 13.5)], [], {}),
    ("VendorCredit", "Hansen & Sons Packaging", "2026-05-29", "HS-CR-40",
     [("Exit Bags (child resistant)", 100, 0.2)], [], {}),
    ("PurchaseOrder", "Emerald Farms", "2026-06-03", None, [("Blue Dream 3.5g", 300, 12)],
     [("Shipping and Delivery", 60)], {"Memo": "Deliver to the Sacramento warehouse"}),
]  # fmt: skip
# (vendor, TxnDate, PayType, paying account, check number, TotalAmt, {bill DocNumber: amount})
BILL_PAYMENTS = [
    ("Emerald Farms", "2026-04-16", "Check", "Checking", "501", 2400, {"EF-7781": 2400}),
    ("Hansen & Sons Packaging", "2026-04-23", "CreditCard", "Company Card", None, 100,
     {"HS-2231": 100}),
]  # fmt: skip


def _company_address(line1: str, city: str, region: str, postal: str, country: str) -> dict:
    return {"Id": "1", "Line1": line1, "City": city, "Country": country,
            "CountrySubDivisionCode": region, "PostalCode": postal}  # fmt: skip


@dataclass(frozen=True)
class CompanySeed:
    """One seeded company: who and where it is, its sales tax setup and its numbering."""

    name: str
    country: str  # CompanyInfo.Country, as QBO spells it ("US", "CA")
    address: dict
    using_sales_tax: bool  # Preferences.TaxPrefs.UsingSalesTax
    automated_sales_tax: bool  # Preferences.TaxPrefs.PartnerTaxEnabled (AST, US only)
    custom_txn_numbers: bool  # Preferences.SalesFormsPrefs.CustomTxnNumbers
    home_currency: str = "USD"
    # (TaxCode name, TaxRate name, rate %): the tax codes QBO's tax setup made.
    tax_codes: tuple[tuple[str, str, float], ...] = ()
    sample_data: bool = True  # classes, items, customers and vendors, not only the accounts
    # Payment methods, terms, locations and a few of each transaction (the `sample` seed only).
    transactions: bool = False


_SACRAMENTO = _company_address("2100 Harvest Way", "Sacramento", "CA", "95815", "US")
SEEDS = {
    # Our distributor: wholesale, so no sales tax; it numbers its documents in Distru.
    "sample": CompanySeed(DEFAULT_COMPANY_NAME, "US", _SACRAMENTO, using_sales_tax=False,
                          automated_sales_tax=False, custom_txn_numbers=True, transactions=True),
    "empty": CompanySeed(DEFAULT_COMPANY_NAME, "US", _SACRAMENTO, using_sales_tax=False,
                         automated_sales_tax=False, custom_txn_numbers=True, sample_data=False),
    # A US company made after November 2017, with sales tax set up: QBO's automated sales tax
    # taxes its sales at 8%, the rate of Intuit's recorded sample estimate (cdc__basic.json).
    # Numbering is left as a new company has it: QBO numbers the sales forms.
    "us-ast": CompanySeed("Green Valley Delivery (Sandbox)", "US", _SACRAMENTO,
                          using_sales_tax=True, automated_sales_tax=True,
                          custom_txn_numbers=False, tax_codes=(("California", "California", 8),)),
    # Outside the US: GST/HST codes, one of which every line must carry.
    "canada": CompanySeed(
        "Green Valley Distribution Canada (Sandbox)", "CA",
        _company_address("800 Granville St.", "Vancouver", "BC", "V6Z 1K3", "CA"),
        using_sales_tax=True, automated_sales_tax=False, custom_txn_numbers=False,
        home_currency="CAD",
        tax_codes=(("GST", "GST", 5), ("HST ON", "HST ON", 13), ("Zero-rated", "GST ZR", 0),
                   ("Exempt", "Exempt", 0)),
    ),
}  # fmt: skip


def preferences(seed: CompanySeed, tax_code_ids: list[str]) -> dict:
    """The Preferences object of a seeded company."""
    tax_prefs = {"UsingSalesTax": seed.using_sales_tax,
                 "PartnerTaxEnabled": seed.automated_sales_tax}  # fmt: skip
    if seed.automated_sales_tax and tax_code_ids:
        # The code the sandbox's AST engine assigns (real AST picks it by address).
        tax_prefs["TaxGroupCodeRef"] = {"value": tax_code_ids[0]}
    return {
        **PREFERENCES,
        "SalesFormsPrefs": {**PREFERENCES["SalesFormsPrefs"],
                            "CustomTxnNumbers": seed.custom_txn_numbers},
        "TaxPrefs": tax_prefs,
        "CurrencyPrefs": {"MultiCurrencyEnabled": False,
                          "HomeCurrency": {"value": seed.home_currency}},
    }  # fmt: skip


def company_info(seed: CompanySeed, name: str) -> dict:
    """The CompanyInfo object of a sandbox company."""
    return {
        "CompanyName": name,
        "LegalName": name.replace(" (Sandbox)", " LLC"),
        "CompanyAddr": seed.address,
        "CustomerCommunicationAddr": seed.address,
        "LegalAddr": seed.address,
        "PrimaryPhone": {"FreeFormNumber": "(916) 555-0420"},
        "CompanyStartDate": "2023-01-01",
        "FiscalYearStartMonth": "January",
        "Country": seed.country,
        "Email": {"Address": "books@greenvalley.example"},
        "WebAddr": {"URI": "http://greenvalley.example"},
        "SupportedLanguages": "en",
        # The reserved pairs of Intuit's CompanyInfo page, "Data Services Extensions".
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Farm Product Raw Material Merchant Wholesalers"},
            {"Name": "IndustryCode", "Value": "4245"},
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
            {"Name": "ItemCategoriesFeature", "Value": "true"},
        ],
    }


def populate(company: Company, seed: CompanySeed, items: int = 0) -> None:
    """Fill a new company: CompanyInfo, tax codes and Preferences; the sample data; N items."""
    at = company.now() - SEED_AGE
    company.put_single("CompanyInfo", company_info(seed, company.name), at)
    company.put_single("Preferences", preferences(seed, _tax_codes(company, seed, at)), at)
    ids: dict[tuple[str, str], str] = {}

    def add(entity: str, payload: dict, parent: str | None = None) -> None:
        if parent:
            payload = {**payload, "ParentRef": {"value": ids[(entity, parent)]}}
        obj = company.create(SPECS[entity], payload, at=at)
        ids[(entity, payload.get("Name") or payload["DisplayName"])] = obj["Id"]

    def account(name: str) -> dict:
        return {"value": ids[("Account", name)]}

    for name, account_type, sub_type, parent, active in ACCOUNTS:
        add("Account", {"Name": name, "AccountType": account_type,
                        "AccountSubType": sub_type, "Active": active}, parent)  # fmt: skip
    if not seed.sample_data:
        _generated_items(company, items, account("Sales of Product Income"),
                         account("Cost of Goods Sold"), at)  # fmt: skip
        return
    for name, parent, active in CLASSES:
        add("Class", {"Name": name, "Active": active}, parent)
    for name, kind, accounts, extra, active, parent in ITEMS:
        refs = {key: account(value) for key, value in accounts.items()}
        add("Item", {"Name": name, "Type": kind, **refs, **extra, "Active": active}, parent)
    for customer in CUSTOMERS:
        add("Customer", {k: v for k, v in customer.items() if k != "ParentRef"},
            customer.get("ParentRef"))  # fmt: skip
    for vendor in VENDORS:
        add("Vendor", vendor)
    if seed.transactions:
        _sales_and_purchases(company, ids, at)
    _generated_items(company, items, account("Sales of Product Income"),
                     account("Cost of Goods Sold"), at)  # fmt: skip


def _sales_and_purchases(company: Company, ids: dict[tuple[str, str], str], at) -> None:
    """The lists around sales and purchases, then the sample transactions, all made at `at`
    (a payment moves its documents' balances on the company's clock, held there meanwhile)."""

    def add(entity: str, payload: dict, key: str) -> None:
        obj = company.create(SPECS[entity], payload, at=at)
        ids[(entity, key)] = obj["Id"]

    def refs(fields: dict) -> dict:
        return {k: {"value": ids[v]} if isinstance(v, tuple) else v for k, v in fields.items()}

    def item_line(kind: str, item: str, qty: float, price: float) -> dict:
        detail = {"ItemRef": {"value": ids[("Item", item)]}, "Qty": qty, "UnitPrice": price}
        return {"DetailType": kind, kind: detail}

    def linked(txn_type: str, applied: dict) -> list[dict]:
        return [{"Amount": amount, "LinkedTxn": [{"TxnId": ids[(txn_type, number)],
                                                  "TxnType": txn_type}]}
                for number, amount in applied.items()]  # fmt: skip

    for code in ("TAX", "NON"):
        company.put_builtin("TaxCode", _pseudo_tax_code(code, at))
    for name, kind in PAYMENT_METHODS:
        add("PaymentMethod", {"Name": name, "Type": kind}, name)
    for name, days in TERMS:
        add("Term", {"Name": name, "DueDays": days}, name)
    for name, parent, active in DEPARTMENTS:
        parent_ref = {"ParentRef": {"value": ids[("Department", parent)]}} if parent else {}
        add("Department", {"Name": name, "Active": active, **parent_ref}, name)
    held, company.now = company.now, lambda: at
    try:
        for entity, customer, day, number, lines, extra in SALES:
            add(entity, {
                "CustomerRef": {"value": ids[("Customer", customer)]}, "TxnDate": day,
                "DocNumber": number, **refs(extra),
                "Line": [item_line("SalesItemLineDetail", *line) for line in lines],
            }, number)  # fmt: skip
        for customer, day, method, reference, total, applied in PAYMENTS:
            add("Payment", {
                "CustomerRef": {"value": ids[("Customer", customer)]}, "TxnDate": day,
                "PaymentMethodRef": {"value": ids[("PaymentMethod", method)]},
                "PaymentRefNum": reference, "TotalAmt": total, "Line": linked("Invoice", applied),
            }, reference)  # fmt: skip
        for entity, vendor, day, number, lines, expenses, extra in PURCHASES:
            account_lines = [
                {"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
                 "AccountBasedExpenseLineDetail": {"AccountRef": {"value": ids[("Account", name)]}}}
                for name, amount in expenses
            ]  # fmt: skip
            payload = {
                "VendorRef": {"value": ids[("Vendor", vendor)]}, "TxnDate": day, **refs(extra),
                "Line": [item_line("ItemBasedExpenseLineDetail", *line) for line in lines]
                + account_lines,
            }  # fmt: skip
            add(entity, {**payload, "DocNumber": number} if number else payload, number or day)
        for vendor, day, pay_type, account, number, total, applied in BILL_PAYMENTS:
            holder, account_key = (("CheckPayment", "BankAccountRef") if pay_type == "Check"
                                   else ("CreditCardPayment", "CCAccountRef"))  # fmt: skip
            payload = {
                "VendorRef": {"value": ids[("Vendor", vendor)]}, "TxnDate": day,
                "PayType": pay_type, holder: {account_key: {"value": ids[("Account", account)]}},
                "TotalAmt": total, "Line": linked("Bill", applied),
            }  # fmt: skip
            add("BillPayment", {**payload, "DocNumber": number} if number else payload, day)
    finally:
        company.now = held


def _pseudo_tax_code(code: str, at) -> dict:
    """TAX or NON as a US company's `select * From TaxCode` lists it (Intuit's TaxCode page):
    no SyncToken, its name as its Id."""
    when = stamp(at)
    return {"TaxGroup": False, "Name": code, "Taxable": code == "TAX", "Description": code,
            "Id": code, "MetaData": {"CreateTime": when, "LastUpdatedTime": when}}  # fmt: skip


def _tax_codes(company: Company, seed: CompanySeed, at) -> list[str]:
    """Make the seed's tax rates and the codes that apply them; returns the codes' ids."""
    code_ids = []
    for code_name, rate_name, percent in seed.tax_codes:
        rate = company.create(SPECS["TaxRate"], {
            "Name": rate_name, "Description": rate_name, "RateValue": percent,
        }, at=at)  # fmt: skip
        rate_list = {"TaxRateDetail": [{
            "TaxRateRef": {"value": rate["Id"]}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0,
        }]}  # fmt: skip
        code = company.create(SPECS["TaxCode"], {
            "Name": code_name, "Description": code_name, "SalesTaxRateList": rate_list,
            "PurchaseTaxRateList": rate_list,
        }, at=at)  # fmt: skip
        code_ids.append(code["Id"])
    return code_ids


def _generated_items(company: Company, count: int, income: dict, expense: dict, at) -> None:
    width = max(5, len(str(count)))
    for n in range(1, count + 1):
        company.create(SPECS["Item"], {
            "Name": f"Generated Item {n:0{width}d}",
            "Type": "Service" if n % 5 == 0 else "NonInventory",
            "Sku": f"GEN-{n:0{width}d}",
            "UnitPrice": round(5 + n % 97 * 0.25, 2),
            "PurchaseCost": round(2 + n % 89 * 0.1, 2),
            "IncomeAccountRef": income,
            "ExpenseAccountRef": expense,
        }, at=at)  # fmt: skip
