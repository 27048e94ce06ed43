"""The changed-in-QuickBooks comparison reads any copy QBO sends back: it never raises, and
names each difference in one sentence."""

from hypothesis import given
from hypothesis import strategies as st

from integrations.outbox.fingerprint import differences, fingerprint
from sales.qbo import InvoiceAdapter

from .strategies import big_text, fuzz_settings, json_values

FIELDS = InvoiceAdapter.fingerprint_fields
SENT = {
    "CustomerRef": {"value": "58", "name": "Mary's Dispensary"},
    "DocNumber": "INV-1001",
    "TxnDate": "2026-11-02",
    "DueDate": "2026-12-10",
    "PrivateNote": "Deliver Tuesday",
    "Line": [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": "59.97",
            "Description": "Blue Dream 3.5g",
            "SalesItemLineDetail": {"ItemRef": {"value": "5"}, "Qty": "3", "UnitPrice": "19.99"},
        }
    ],
}
odd = json_values | big_text
lines = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "DetailType": st.sampled_from(["SalesItemLineDetail", "SubTotalLineDetail"]) | odd,
            "Amount": odd,
            "Description": odd,
            "SalesItemLineDetail": st.dictionaries(
                st.sampled_from(["ItemRef", "Qty", "UnitPrice", "ClassRef"]), odd
            )
            | odd,
        },
    )
    | odd,
    max_size=4,
)
copies = st.fixed_dictionaries({}, optional={**{field: odd for field in FIELDS}, "Line": lines})


@fuzz_settings(300)
@given(copies)
def test_any_copy_qbo_sends_back_is_compared_without_an_error(copy):
    found = differences(fingerprint(SENT, FIELDS), copy, FIELDS)
    assert all(isinstance(sentence, str) and sentence for sentence in found)
    assert len(found) <= 6  # five named, the rest counted


def test_the_body_sent_is_no_different_from_itself():
    assert differences(fingerprint(SENT, FIELDS), SENT, FIELDS) == []
