"""Sales tax as QBO computes it, by the company's country and tax setup, and its numbering."""

import pytest
import requests

from integrations.qbo.client import select
from tests.sandbox.conftest import fault_code, schema_misfits

# Intuit's recorded sample estimate (cdc__basic.json): 275 + 12.75 + 38 taxable at 8%.
RECORDED = [275.0, 12.75, 38.0]
# What is left to pay: a sales receipt is paid at once, an estimate has no balance.
BALANCES = {"Invoice": 361.81, "CreditMemo": 361.81, "SalesReceipt": 0, "Estimate": None}


def line(amount: float, code: str | None = None) -> dict:
    detail = {"ItemRef": {"value": "2"}}
    if code is not None:
        detail["TaxCodeRef"] = {"value": code}
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def sale(*lines: dict, **fields) -> dict:
    return {"CustomerRef": {"value": "1"}, "Line": list(lines), **fields}


def tax_id(sandbox, entity: str, name: str) -> str:
    return sandbox.query(select(entity, {"Name": name}))[entity][0]["Id"]


@pytest.fixture
def ast(qbo_sandbox):
    """The US company with sales tax under QBO's automated sales tax (8%)."""
    qbo_sandbox.reset(seed="us-ast")
    return qbo_sandbox


@pytest.fixture
def canada(qbo_sandbox):
    """A Canadian company: GST/HST codes on every line."""
    qbo_sandbox.reset(seed="canada")
    return qbo_sandbox


@pytest.mark.parametrize("entity", BALANCES)
def test_ast_adds_sales_tax_to_lines_not_marked_non(ast, create, entity):
    """Lines without a code are taxed as QBO taxed Intuit's sample estimate; NON is not."""
    created = create(entity, sale(*map(line, RECORDED), line(10, "NON")))
    detail = created["TxnTaxDetail"]
    assert detail["TotalTax"] == 26.06
    assert detail["TxnTaxCodeRef"]["value"] == tax_id(ast, "TaxCode", "California")
    (tax_line,) = detail["TaxLine"]
    assert tax_line["TaxLineDetail"]["NetAmountTaxable"] == 325.75
    assert tax_line["TaxLineDetail"]["TaxPercent"] == 8
    assert created["TotalAmt"] == 361.81  # 335.75 of lines + 26.06
    assert created.get("Balance") == BALANCES[entity]
    codes = [x["SalesItemLineDetail"]["TaxCodeRef"]["value"] for x in created["Line"][:-1]]
    assert codes == ["TAX", "TAX", "TAX", "NON"]


def test_ast_leaves_lines_marked_non_untaxed_and_a_payment_closes_the_balance(ast, create):
    invoice = create("Invoice", sale(line(100, "NON"), line(15, "NON")))
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"]) == (0, 115)
    paid = {"Amount": 115, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
    create("Payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 115, "Line": [paid]})
    assert ast.company.get("Invoice", invoice["Id"])["Balance"] == 0


def test_a_total_tax_sent_overrides_ast_and_replaces_the_code_sent(ast, create):
    """AST honours an explicit amount; the transaction's tax code is AST's own."""
    override = {"TotalTax": 20, "TxnTaxCodeRef": {"value": "99"}}
    body = sale(*map(line, RECORDED), TxnTaxDetail=override)
    invoice = create("Invoice", body)
    detail = invoice["TxnTaxDetail"]
    assert (detail["TotalTax"], detail["TaxLine"][0]["Amount"]) == (20, 20)
    assert detail["TxnTaxCodeRef"]["value"] == tax_id(ast, "TaxCode", "California")
    assert (invoice["TotalAmt"], invoice["Balance"]) == (345.75, 345.75)


def test_an_update_that_sends_no_tax_is_taxed_anew(ast, create):
    """The stored TxnTaxDetail sent back (a sparse update) is no override: tax follows lines."""
    invoice = create("Invoice", sale(line(100), TxnTaxDetail={"TotalTax": 0}))
    assert invoice["TotalAmt"] == 100
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True,
            "PrivateNote": "edited in QuickBooks"}  # fmt: skip
    assert create("Invoice", body)["TotalAmt"] == 108


def test_a_us_line_tax_code_other_than_tax_or_non_is_6100(ast, qbo_sandbox):
    response = qbo_sandbox.api("POST", "invoice", json=sale(line(10, "2")))
    assert fault_code(response) == "6100"
    assert "Valid Line TaxCodes for US should be TAX or NON. Supplied value:2" in response.text
    assert ast.company.objects["Invoice"] == {}


def test_without_sales_tax_lines_are_non_and_a_tax_sent_is_ignored(qbo_sandbox, create):
    """The sample company has no sales tax: QBO ignores TxnTaxDetail and stores none."""
    invoice = create("Invoice", sale(line(100), TxnTaxDetail={"TotalTax": 9}))
    assert invoice["TxnTaxDetail"] == {"TotalTax": 0}
    assert invoice["TotalAmt"] == 100
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}


def test_a_void_zeroes_the_tax_too(ast, create, qbo_sandbox):
    invoice = create("Invoice", sale(line(100)))
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
    qbo_sandbox.api("POST", "invoice", json=body, params={"operation": "void"}).raise_for_status()
    voided = ast.company.get("Invoice", invoice["Id"])
    assert (voided["TotalAmt"], voided["TxnTaxDetail"]["TotalTax"]) == (0, 0)


@pytest.mark.parametrize(
    ("entity", "body"),
    [
        ("Invoice", sale(line(100))),
        ("Bill", {"VendorRef": {"value": "1"}, "Line": [
            {"Amount": 20, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "22"}}}]}),
    ],
)  # fmt: skip
def test_outside_the_us_a_line_without_a_tax_code_is_6000(canada, entity, body):
    """QBO's recorded wording for a Canadian company (activepieces/activepieces#8539)."""
    response = canada.api("POST", entity.lower(), json=body)
    error = response.json()["Fault"]["Error"][0]
    assert (response.status_code, error["code"], error["element"]) == (400, "6000", "")
    assert error["Detail"] == (
        "Business Validation Error: Make sure all your transactions have a GST/HST rate "
        "before you save."
    )
    assert canada.company.objects[entity] == {}


def test_outside_the_us_each_line_is_taxed_by_its_own_code(canada, create):
    hst, exempt = tax_id(canada, "TaxCode", "HST ON"), tax_id(canada, "TaxCode", "Exempt")
    invoice = create("Invoice", sale(line(287.75, hst), line(50, exempt)))
    assert invoice["TxnTaxDetail"]["TotalTax"] == 37.41  # 13% of 287.75
    assert invoice["TotalAmt"] == 375.16
    assert invoice["CurrencyRef"] == {"value": "CAD", "name": "Canadian Dollar"}
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["name"] == "HST ON"


def test_a_tax_code_that_does_not_exist_is_2500(canada):
    assert fault_code(canada.api("POST", "invoice", json=sale(line(10, "404")))) == "2500"


@pytest.mark.parametrize("entity", ["TaxCode", "TaxRate"])
def test_tax_codes_and_rates_are_read_not_written(canada, entity):
    """QBO's tax setup makes them: the API reads and queries them only."""
    rows = canada.query(select(entity, {}))[entity]
    assert len(rows) == 4
    assert canada.api("GET", f"{entity.lower()}/{rows[0]['Id']}").status_code == 200
    response = canada.api("POST", entity.lower(), json={"Name": "PST BC"})
    assert fault_code(response) == "500"
    assert len(canada.company.objects[entity]) == 4


@pytest.mark.parametrize("seed", ["sample", "empty", "us-ast", "canada"])
def test_every_seed_is_what_qbo_would_answer(qbo_sandbox, seed):
    """Each company, its tax codes and preferences included, fits Intuit's schema strictly."""
    qbo_sandbox.reset(seed=seed)
    assert schema_misfits(qbo_sandbox.company) == []


@pytest.mark.parametrize(
    ("seed", "country", "using", "ast_on", "custom"),
    [("sample", "US", False, False, True), ("us-ast", "US", True, True, False),
     ("canada", "CA", True, False, False)],
)  # fmt: skip
def test_each_seed_reports_its_country_and_preferences(
    qbo_sandbox, seed, country, using, ast_on, custom
):
    qbo_sandbox.reset(seed=seed)
    info = qbo_sandbox.api("GET", f"companyinfo/{qbo_sandbox.realm_id}").json()["CompanyInfo"]
    prefs = qbo_sandbox.api("GET", "preferences").json()["Preferences"]
    assert info["Country"] == country
    assert (prefs["TaxPrefs"]["UsingSalesTax"], prefs["TaxPrefs"]["PartnerTaxEnabled"]) == (
        using, ast_on,
    )  # fmt: skip
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is custom


def test_the_control_plane_seeds_a_second_company_from_any_seed(qbo_sandbox):
    answer = qbo_sandbox.control("seed", seed="canada", realm_id="4620816365000000001")
    assert answer["counts"]["4620816365000000001"]["objects"]["TaxCode"] == 4
    # The default company is untouched: it keeps only the pseudo codes of a US company.
    assert set(qbo_sandbox.company.objects["TaxCode"]) == {"TAX", "NON"}
    with pytest.raises(requests.HTTPError, match="400"):
        qbo_sandbox.control("seed", seed="mars")


# ---- numbering ----------------------------------------------------------------------------


def test_with_custom_numbers_on_qbo_numbers_nothing_itself(create):
    """Intuit: a custom value can be provided; if none is supplied, DocNumber is null."""
    assert "DocNumber" not in create("Invoice", sale(line(10)))
    assert create("Invoice", sale(line(10), DocNumber="INV-1"))["DocNumber"] == "INV-1"


def test_with_custom_numbers_off_qbo_numbers_the_sales_forms(ast, create):
    assert create("Invoice", sale(line(10, "NON")))["DocNumber"] == "1001"
    assert create("CreditMemo", sale(line(10, "NON")))["DocNumber"] == "1002"


def test_an_update_that_leaves_the_number_out_keeps_it(ast, create):
    invoice = create("Invoice", sale(line(10, "NON")))
    body = {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], **sale(line(12, "NON"))}
    assert create("Invoice", body)["DocNumber"] == invoice["DocNumber"]
