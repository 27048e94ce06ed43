"""A line's quantity and unit price keep seven decimals in QBO, its amount two (sandbox README,
"What QBO keeps of a pushed document")."""


def test_a_quantity_and_a_unit_price_keep_seven_decimals_and_an_amount_two(create):
    detail = {"ItemRef": {"value": "1"}, "Qty": 3.5, "UnitPrice": 63.58285714}
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    invoice = create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})

    kept = invoice["Line"][0]
    assert kept["SalesItemLineDetail"]["UnitPrice"] == 63.5828571
    assert kept["SalesItemLineDetail"]["Qty"] == 3.5
    assert kept["Amount"] == 222.54  # 3.5 × 63.5828571, to the cent
