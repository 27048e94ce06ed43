"""The sandbox company's own screens, under /app/: what QuickBooks' web app shows a person.

Lists of the name lists and the documents, a page per object, and the few changes the guide
asks of QuickBooks (README, "The company's own screens"). Every change is a write through
`Backend.write`, as the v3 API makes it, so the schema check, QBO's rules, the SyncToken,
LastUpdatedTime, the CDC answer and the webhooks all see it. Plain HTML from the standard
library: every value is escaped, and every form carries this process's token.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from integrations.sandbox import faults
from integrations.sandbox.entities import SPECS

if TYPE_CHECKING:
    from integrations.sandbox.backend import Backend, Company
    from integrations.sandbox.wsgi import Request, Response

PREFIX = "/app"
HTML_TYPE = "text/html; charset=utf-8"
# No script runs on these pages, and no other site may frame them or receive their forms.
SECURITY_HEADERS = [
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
]  # fmt: skip
STYLE = (
    "body{font-family:sans-serif;margin:0;color:#222}"
    "nav{background:#2ca01c;padding:.6em 2em}nav a{color:#fff;margin-right:1.2em}"
    "main{padding:1em 2em;max-width:72em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left;vertical-align:top}"
    "td.num,th.num{text-align:right}tr.inactive td{color:#888}"
    ".notice{background:#dcfce7;padding:.6em 1em}.error{background:#fee2e2;padding:.6em 1em}"
    "form.inline{display:inline-block;margin:0 1em 1em 0}fieldset{margin:0 0 1em;max-width:40em}"
    "fieldset label{display:block;margin:.3em 0}pre{background:#f5f5f5;padding:1em;overflow:auto}"
)
# The document pages sit at QuickBooks' own paths (`/app/invoice?txnId=5`), which the
# product's "Open in QuickBooks" links name.
DOCUMENT_PATHS = {
    "invoice": "Invoice",
    "recvpayment": "Payment",
    "creditmemo": "CreditMemo",
    "salesreceipt": "SalesReceipt",
    "estimate": "Estimate",
    "bill": "Bill",
    "billpayment": "BillPayment",
    "vendorcredit": "VendorCredit",
}
PATH_OF_DOCUMENT = {entity: path for path, entity in DOCUMENT_PATHS.items()}
DONE = {
    "create": "Item created.",
    "rename": "Item renamed.",
    "inactivate": "Item made inactive.",
    "reactivate": "Item made active.",
    "edit": "Invoice saved.",
    "delete": "Transaction deleted.",
    "class_tracking": "Class tracking saved.",
}
ITEM_TYPES_MADE_HERE = ("NonInventory", "Service")


def e(value: object) -> str:
    """Text as HTML, quotes included (for attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _ref_name(obj: dict, key: str) -> str:
    ref = obj.get(key)
    return str(ref.get("name") or ref.get("value") or "") if isinstance(ref, dict) else ""


def _amount(value: object) -> str:
    return f"{float(value):,.2f}" if isinstance(value, int | float) else ""


def _status(obj: dict) -> str:
    return "Active" if obj.get("Active", True) else "Inactive"


@dataclass(frozen=True)
class NameList:
    """One name list's screens: its list, and a page per object at `detail?{id_param}=Id`."""

    entity: str
    title: str
    path: str
    detail: str
    id_param: str
    name_field: str
    columns: tuple[tuple[str, Callable[[dict], str]], ...]

    def url(self, realm_id: str, obj_id: str | None = None) -> str:
        """The list's URL, or one object's."""
        query = {self.id_param: obj_id} if obj_id else {}
        return _url(self.detail if obj_id else self.path, realm_id, **query)


NAME_LISTS = {
    lst.entity: lst
    for lst in (
        NameList("Item", "Products and services", "items", "items", "itemId", "Name", (
            ("Type", lambda o: o.get("Type", "")),
            ("Income account", lambda o: _ref_name(o, "IncomeAccountRef")),
            ("Expense account", lambda o: _ref_name(o, "ExpenseAccountRef")),
            ("Sales price", lambda o: _amount(o.get("UnitPrice"))),
            ("Cost", lambda o: _amount(o.get("PurchaseCost"))),
        )),
        NameList("Account", "Chart of accounts", "chartofaccounts", "chartofaccounts",
                 "accountId", "FullyQualifiedName", (
            ("Type", lambda o: o.get("AccountType", "")),
            ("Detail type", lambda o: o.get("AccountSubType", "")),
        )),
        NameList("Class", "Classes", "classes", "classes", "classId", "FullyQualifiedName", ()),
        NameList("Customer", "Customers", "customers", "customerdetail", "nameId",
                 "DisplayName", (("Company", lambda o: o.get("CompanyName", "")),)),
        NameList("Vendor", "Vendors", "vendors", "vendordetail", "nameId", "DisplayName",
                 (("Company", lambda o: o.get("CompanyName", "")),)),
    )
}  # fmt: skip


def _url(path: str, realm_id: str, **query: str) -> str:
    return f"{PREFIX}/{path}?" + urlencode({**query, "realm": realm_id})


def object_url(realm_id: str, entity: str, obj_id: str) -> str | None:
    """The page of any object the screens show, or None."""
    if entity in NAME_LISTS:
        return NAME_LISTS[entity].url(realm_id, obj_id)
    if entity in PATH_OF_DOCUMENT:
        return _url(PATH_OF_DOCUMENT[entity], realm_id, txnId=obj_id)
    return None


class Refused(Exception):
    """A form QBO's screens would not take (a blank required field), said in words."""


class SandboxUI:
    """Serves /app/...; `token` protects its forms for as long as this process runs."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.token = secrets.token_urlsafe(32)

    # ---- routing ----

    def handle(self, request: Request) -> Response:
        """One GET (a page) or POST (a change, then a redirect to the page that shows it)."""
        page = request.path[len(PREFIX) :].strip("/") or "homepage"
        realm_id = request.query.get("realm") or next(iter(self.backend.companies), "")
        company = self.backend.company(realm_id)
        if company is None:
            return self._page(404, "No such company", "<p>The sandbox has no such company.</p>")
        if request.method == "POST":
            return self._post(request, company, page)
        if request.method not in {"GET", "HEAD"}:
            return self._page(405, "Not allowed", "<p>Pages are read with GET.</p>")
        return self._get(request.query, company, page)

    def _get(
        self, query: dict, company: Company, page: str, error: str = "", typed: dict | None = None
    ) -> Response:
        """A page; after a refused change, with the error and what was typed in its form."""
        typed = typed or {}
        notice = DONE.get(query.get("done", ""), "")
        status, title, body = 404, "Not found", "<p>The sandbox has no such page.</p>"
        for lst in NAME_LISTS.values():
            if page == lst.detail and query.get(lst.id_param):
                status, title, body = self._name_object(company, lst, query[lst.id_param], typed)
                break
            if page == lst.path:
                status, title, body = 200, lst.title, self._name_list(company, lst, typed)
                break
        else:
            if page in DOCUMENT_PATHS and query.get("txnId"):
                status, title, body = self._document(
                    company, DOCUMENT_PATHS[page], query["txnId"], typed
                )
            elif page == "transactions":
                status, title, body = 200, "Transactions", self._transactions(company)
            elif page == "settings":
                status, title, body = 200, "Account and settings", self._settings(company)
            elif page == "homepage":
                status, title, body = 200, company.name, self._home(company)
        if error:
            status = 400
        return self._page(status, title, body, company, notice=notice, error=error)

    # ---- pages ----

    def _home(self, company: Company) -> str:
        with self.backend.lock:
            counts = {entity: len(objs) for entity, objs in company.objects.items()}
            others = [c for c in self.backend.companies.values() if c is not company]
        rows = [(lst.title, lst.url(company.realm_id), counts[lst.entity])
                for lst in NAME_LISTS.values()]  # fmt: skip
        documents = sum(counts[entity] for entity in PATH_OF_DOCUMENT)
        rows.append(("Transactions", _url("transactions", company.realm_id), documents))
        body = (
            f"<p>Realm id <code>{e(company.realm_id)}</code>. What is shown here is what the "
            "v3 API answers; what is changed here is changed as the API changes it, so the "
            "app's Change Data Capture reads and webhooks see it.</p>"
            + _table(["List", "Objects"], [[link(url, title), e(n)] for title, url, n in rows])
            + f"<p>{link(_url('settings', company.realm_id), 'Account and settings')}: "
            "class tracking.</p>"
            "<p>The control plane (reset, faults, tokens, webhooks) is listed at "
            '<a href="/_sandbox/">/_sandbox/</a>.</p>'
        )
        if others:
            body += "<h2>Other companies</h2>" + "".join(
                f"<p>{link(_url('homepage', c.realm_id), c.name)}</p>" for c in others
            )
        return body

    def _objects(self, company: Company, entity: str) -> list[dict]:
        with self.backend.lock:
            return list(company.objects[entity].values())

    def _name_list(self, company: Company, lst: NameList, typed: dict) -> str:
        objects = sorted(
            self._objects(company, lst.entity), key=lambda o: o[lst.name_field].lower()
        )
        headers = ["Name", *(title for title, _ in lst.columns), "Status"]
        rows = [
            [link(lst.url(company.realm_id, o["Id"]), o[lst.name_field]),
             *(e(cell(o)) for _, cell in lst.columns), e(_status(o))]
            for o in objects
        ]  # fmt: skip
        classes = ["" if o.get("Active", True) else "inactive" for o in objects]
        body = _table(headers, rows, classes)
        if lst.entity == "Item":
            body += self._item_create_form(company, typed)
        return body

    def _name_object(self, company: Company, lst: NameList, obj_id: str, typed: dict) -> tuple:
        obj = company.get(lst.entity, obj_id)
        if obj is None:
            return (
                404,
                f"No {lst.entity} {obj_id}",
                f"<p>There is no {e(lst.entity)} {e(obj_id)}.</p>",
            )
        body = _fields(company.realm_id, obj, exclude={lst.name_field})
        if lst.entity == "Item":
            body += self._item_forms(company, obj, typed)
        if lst.entity in ("Customer", "Vendor"):
            body += self._documents_of(company, lst.entity, obj["Id"])
        body += f"<p>{link(lst.url(company.realm_id), 'Back to ' + lst.title)}</p>" + _json(obj)
        return 200, f"{lst.entity}: {obj[lst.name_field]}", body

    def _documents_of(self, company: Company, party: str, party_id: str) -> str:
        with self.backend.lock:
            documents = [
                (entity, doc)
                for entity, spec in SPECS.items()
                if spec.party == f"{party}Ref"
                for doc in company.objects[entity].values()
                if doc.get(spec.party, {}).get("value") == party_id
            ]
        return "<h2>Transactions</h2>" + _documents_table(company.realm_id, documents)

    def _transactions(self, company: Company) -> str:
        with self.backend.lock:
            documents = [
                (entity, doc)
                for entity in PATH_OF_DOCUMENT
                for doc in company.objects[entity].values()
            ]
            deleted = sum(len(company.deleted[entity]) for entity in PATH_OF_DOCUMENT)
        documents.sort(key=lambda pair: (pair[1].get("TxnDate", ""), pair[0], int(pair[1]["Id"])))
        note = f"<p>{deleted} deleted (the CDC answer still names them).</p>" if deleted else ""
        return _documents_table(company.realm_id, documents) + note

    def _document(self, company: Company, entity: str, txn_id: str, typed: dict) -> tuple:
        with self.backend.lock:
            doc = company.get(entity, txn_id)
            gone = company.deleted[entity].get(txn_id)
        if doc is None:
            when = f" on {gone['MetaData']['LastUpdatedTime']}" if gone else ""
            what = "was deleted" + when if gone else "does not exist"
            return 404, f"{entity} {txn_id}", f"<p>{e(entity)} {e(txn_id)} {e(what)}.</p>"
        realm_id = company.realm_id
        body = _fields(realm_id, doc, exclude={"Line", "LinkedTxn", "TxnTaxDetail"})
        body += "<h2>Lines</h2>" + _lines(realm_id, doc)
        body += _totals(doc)
        if doc.get("LinkedTxn"):
            body += "<h2>Linked transactions</h2>" + "".join(
                f"<p>{_txn_link(realm_id, linked.get('TxnType'), linked.get('TxnId'))}</p>"
                for linked in doc["LinkedTxn"]
            )
        if entity == "Invoice":
            body += self._invoice_form(company, doc, typed)
        delete = _url(PATH_OF_DOCUMENT[entity], realm_id, txnId=doc["Id"])
        body += self._form(delete, "delete", doc, "", f"Delete this {entity}")
        body += f"<p>{link(_url('transactions', realm_id), 'Back to transactions')}</p>"
        title = f"{entity} {doc.get('DocNumber') or doc['Id']}"
        return 200, title, body + _json(doc)

    def _settings(self, company: Company) -> str:
        prefs = company.preferences("AccountingInfoPrefs")
        per_line, per_txn = prefs.get("ClassTrackingPerTxnLine"), prefs.get("ClassTrackingPerTxn")
        state = ("On, one to each row in transaction" if per_line
                 else "On, one to entire transaction" if per_txn else "Off")  # fmt: skip
        preferences = company.get("Preferences", "1")
        fields = (
            "<fieldset><legend>Categories</legend>"
            f"<label><input type=checkbox name=track_classes{_checked(per_line or per_txn)}>"
            " Track classes</label>Assign classes:"
            f"<label><input type=radio name=assign value=line{_checked(not per_txn)}> "
            "One to each row in transaction</label>"
            f"<label><input type=radio name=assign value=transaction{_checked(per_txn)}> "
            "One to entire transaction</label></fieldset>"
        )
        return (
            f"<p>Class tracking: <strong id=class-tracking>{e(state)}</strong>.</p>"
            + self._form(
                _url("settings", company.realm_id), "class_tracking", preferences, fields, "Save"
            )  # fmt: skip
            + _json(preferences)
        )

    # ---- forms ----

    def _form(self, url: str, action: str, obj: dict | None, fields: str, button: str) -> str:
        """A POST form with the token, the action and the SyncToken of what the page showed."""
        token = f'<input type=hidden name=sync_token value="{e(obj["SyncToken"])}">' if obj else ""
        return (
            f'<form class=inline method=post action="{e(url)}">'
            f'<input type=hidden name=csrf value="{e(self.token)}">'
            f'<input type=hidden name=action value="{e(action)}">{token}{fields}'
            f"<button type=submit>{e(button)}</button></form>"
        )

    def _item_forms(self, company: Company, item: dict, typed: dict) -> str:
        url = NAME_LISTS["Item"].url(company.realm_id, item["Id"])
        rename = (
            "<label>New name <input name=name required maxlength=100 "
            f'value="{e(typed.get("name", item["Name"]))}"></label>'
        )
        active = item.get("Active", True)
        return (
            "<h2>Change</h2>"
            + self._form(url, "rename", item, rename, "Rename")
            + (
                self._form(url, "inactivate", item, "", "Make inactive")
                if active
                else self._form(url, "reactivate", item, "", "Make active")
            )
        )

    def _item_create_form(self, company: Company, typed: dict) -> str:
        accounts = sorted(
            (a for a in self._objects(company, "Account") if a.get("Active", True)),
            key=lambda a: a["FullyQualifiedName"].lower(),
        )

        def options(field: str) -> str:
            return "<option value=''>none</option>" + "".join(
                f'<option value="{e(a["Id"])}"{_selected(typed.get(field) == a["Id"])}>'
                f"{e(a['FullyQualifiedName'])} ({e(a['AccountType'])})</option>"
                for a in accounts
            )

        types = "".join(
            f"<option{_selected(typed.get('type') == t)}>{t}</option>" for t in ITEM_TYPES_MADE_HERE
        )
        fields = (
            "<fieldset><legend>New product or service</legend>"
            f'<label>Name <input name=name required maxlength=100 value="{e(typed.get("name"))}">'
            f"</label><label>Type <select name=type>{types}</select></label>"
            f"<label>Income account <select name=income_account>{options('income_account')}"
            "</select></label>"
            f"<label>Expense account <select name=expense_account>{options('expense_account')}"
            "</select></label>"
            f'<label>Sales price <input name=unit_price value="{e(typed.get("unit_price"))}">'
            "</label><label>Cost <input name=purchase_cost "
            f'value="{e(typed.get("purchase_cost"))}"></label></fieldset>'
        )
        return self._form(
            NAME_LISTS["Item"].url(company.realm_id), "create", None, fields, "Create"
        )

    def _invoice_form(self, company: Company, invoice: dict, typed: dict) -> str:
        due_date = typed.get("due_date", invoice.get("DueDate", ""))
        memo = typed.get("memo", invoice.get("PrivateNote", ""))
        fields = (
            "<fieldset><legend>Edit</legend>"
            f'<label>Due date <input type=date name=due_date required value="{e(due_date)}">'
            f"</label><label>Memo <textarea name=memo maxlength=4000>{e(memo)}</textarea>"
            "</label></fieldset>"
        )
        url = _url("invoice", company.realm_id, txnId=invoice["Id"])
        return self._form(url, "edit", invoice, fields, "Save")

    # ---- changes ----

    def _post(self, request: Request, company: Company, page: str) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if not hmac.compare_digest(form.get("csrf", "").encode(), self.token.encode()):
            return self._page(
                403, "This form has expired",
                "<p>Nothing was changed: the form was not one this sandbox served since it "
                "started. Reload the page and try again.</p>", company,
            )  # fmt: skip
        query = request.query
        try:
            entity, obj_id = self._change(company, page, query, form)
        except (faults.QboFault, Refused) as refusal:
            return self._get(query, company, page, error=_refusal(refusal), typed=form)
        action = form.get("action", "")
        if action == "delete":
            target = _url("transactions", company.realm_id)
        else:
            target = object_url(company.realm_id, entity, obj_id) or _url(page, company.realm_id)
        separator = "&" if "?" in target else "?"
        return _redirect(f"{target}{separator}done={action}")

    def _change(self, company: Company, page: str, query: dict, form: dict) -> tuple[str, str]:
        """Make the change a form asks for; the entity and Id of what it changed."""
        action = form.get("action")
        realm_id = company.realm_id
        if page == "items" and action == "create":
            return "Item", self._write(realm_id, "Item", _new_item(form))["Id"]
        if page == "items" and action in {"rename", "inactivate", "reactivate"}:
            change = {
                "rename": lambda: {"Name": _required(form, "name", "a name")},
                "inactivate": lambda: {"Active": False},
                "reactivate": lambda: {"Active": True},
            }[action]()
            return "Item", self._update(realm_id, "Item", query.get("itemId"), form, change)
        if page == "settings" and action == "class_tracking":
            track = "track_classes" in form
            per_txn = form.get("assign") == "transaction"
            prefs = {"ClassTrackingPerTxn": track and per_txn,
                     "ClassTrackingPerTxnLine": track and not per_txn}  # fmt: skip
            self._update(realm_id, "Preferences", "1", form, {"AccountingInfoPrefs": prefs})
            return "Preferences", "1"
        entity = DOCUMENT_PATHS.get(page)
        txn_id = query.get("txnId")
        if entity == "Invoice" and action == "edit":
            change = {"DueDate": _required(form, "due_date", "a due date"),
                      "PrivateNote": form.get("memo", "")}  # fmt: skip
            return entity, self._update(realm_id, entity, txn_id, form, change)
        if entity and action == "delete":
            payload = {"Id": txn_id, "SyncToken": form.get("sync_token")}
            self.backend.write(realm_id, SPECS[entity].path, payload, "delete")
            return entity, str(txn_id)
        raise Refused("This page has no such change.")

    def _update(self, realm_id: str, entity: str, obj_id, form: dict, change: dict) -> str:
        """A sparse update carrying the SyncToken the page showed: stale is QBO's 5010."""
        payload = {"Id": obj_id, "SyncToken": form.get("sync_token"), "sparse": True, **change}
        return self._write(realm_id, entity, payload)["Id"]

    def _write(self, realm_id: str, entity: str, payload: dict) -> dict:
        return self.backend.write(realm_id, SPECS[entity].path, payload, None)[entity]

    # ---- the page ----

    def _page(
        self,
        status: int,
        title: str,
        body: str,
        company: Company | None = None,
        *,
        notice: str = "",
        error: str = "",
    ) -> Response:
        from integrations.sandbox.wsgi import Response

        nav = ""
        if company is not None:
            links = [("homepage", company.name)]
            links += [(lst.path, lst.title) for lst in NAME_LISTS.values()]
            links += [("transactions", "Transactions"), ("settings", "Settings")]
            nav = "<nav>" + "".join(link(_url(p, company.realm_id), t) for p, t in links) + "</nav>"
        messages = (f"<p class=notice role=status>{e(notice)}</p>" if notice else "") + (
            f"<p class=error role=alert>{e(error)}</p>" if error else ""
        )
        page = document(title, messages + body, nav)
        return Response(status, page.encode(), HTML_TYPE, list(SECURITY_HEADERS))


# ---- pieces of pages ----


def document(title: str, body: str, nav: str = "") -> str:
    """A whole page: `body` and `nav` are HTML already, `title` is text."""
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{e(title)} · QuickBooks Online sandbox</title><style>{STYLE}</style></head>"
        f"<body>{nav}<main><h1>{e(title)}</h1>{body}</main></body></html>"
    )


def link(url: str, text: object) -> str:
    """An <a> to `url` reading `text`."""
    return f'<a href="{e(url)}">{e(text)}</a>'


def _checked(on: object) -> str:
    return " checked" if on else ""


def _selected(on: bool) -> str:
    return " selected" if on else ""


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table of cells already HTML; `classes` names each row's class."""
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{e(classes[i]) if classes else ""}">' + "".join(f"<td>{c}</td>" for c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _txn_link(realm_id: str, entity: object, txn_id: object) -> str:
    url = object_url(realm_id, str(entity), str(txn_id))
    text = f"{entity} {txn_id}"
    return link(url, text) if url else e(text)


def _documents_table(realm_id: str, documents: list[tuple[str, dict]]) -> str:
    rows = [
        [e(doc.get("TxnDate", "")), _txn_link(realm_id, entity, doc["Id"]),
         e(doc.get("DocNumber", "")),
         e(_ref_name(doc, SPECS[entity].party or "")),
         e(_amount(doc.get("TotalAmt"))), e(_amount(doc.get("Balance")))]
        for entity, doc in documents
    ]  # fmt: skip
    return _table(["Date", "Type", "No.", "Customer or vendor", "Total", "Balance"], rows)


def _fields(realm_id: str, obj: dict, exclude: set[str]) -> str:
    rows = [["Id", e(obj["Id"])], ["SyncToken", e(obj["SyncToken"])],
            ["Last updated", e(obj["MetaData"]["LastUpdatedTime"])]]  # fmt: skip
    for key, value in obj.items():
        if key in exclude or key in {"Id", "SyncToken", "MetaData", "domain", "sparse"}:
            continue
        shown = _ref_html(realm_id, key, value)
        if shown is not None:
            rows.append([e(key), shown])
    return _table(["Field", "Value"], rows)


REF_ENTITIES = {
    "IncomeAccountRef": "Account", "ExpenseAccountRef": "Account", "AssetAccountRef": "Account",
    "DepositToAccountRef": "Account", "APAccountRef": "Account", "ARAccountRef": "Account",
    "AccountRef": "Account", "ClassRef": "Class", "ItemRef": "Item",
    "CustomerRef": "Customer", "VendorRef": "Vendor", "PrefVendorRef": "Vendor",
}  # fmt: skip


def _ref_html(realm_id: str, key: str, value: object) -> str | None:
    """A field's value as HTML: a reference links to what it names; None for nested data."""
    if isinstance(value, dict) and "value" in value:
        name = value.get("name") or value["value"]
        url = object_url(realm_id, REF_ENTITIES.get(key) or "", str(value["value"]))
        return link(url, name) if url else e(name)
    if isinstance(value, dict | list):
        return None
    return e(json.dumps(value) if isinstance(value, bool) else value)


def _detail(line: dict) -> dict:
    detail = line.get(line.get("DetailType", ""), {})
    return detail if isinstance(detail, dict) else {}


def _lines(realm_id: str, doc: dict) -> str:
    rows = []
    for line in doc.get("Line", []):
        detail = _detail(line)
        what = next((k for k in ("ItemRef", "AccountRef") if k in detail), None)
        linked = line.get("LinkedTxn") or []
        product = (
            _ref_html(realm_id, what, detail[what]) if what
            else " ".join(_txn_link(realm_id, t.get("TxnType"), t.get("TxnId")) for t in linked)
        )  # fmt: skip
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        rows.append([
            e(line.get("LineNum", "")), product or "", e(line.get("Description", "")),
            e(_ref_name(detail, "ClassRef")), e(detail.get("Qty", "")),
            e(detail.get("UnitPrice", "")), e(_amount(line.get("Amount"))),
        ])  # fmt: skip
    headers = ["#", "Product, account or transaction", "Description", "Class", "Qty", "Rate",
               "Amount"]  # fmt: skip
    return _table(headers, rows)


def _totals(doc: dict) -> str:
    subtotal = sum(
        float(line.get("Amount") or 0)
        for line in doc.get("Line", [])
        if line.get("DetailType") == "SubTotalLineDetail"
    )
    rows = []
    if subtotal:
        rows.append(["Subtotal", e(_amount(subtotal))])
    if isinstance(doc.get("TxnTaxDetail"), dict) and "TotalTax" in doc["TxnTaxDetail"]:
        rows.append(["Tax", e(_amount(doc["TxnTaxDetail"]["TotalTax"]))])
    rows.append(["Total", f"<strong id=total>{e(_amount(doc.get('TotalAmt')))}</strong>"])
    if "Balance" in doc:
        rows.append(["Balance due", f"<span id=balance>{e(_amount(doc['Balance']))}</span>"])
    return _table(["", ""], rows)


def _json(obj: dict) -> str:
    return (
        "<details><summary>As the API answers it</summary>"
        f"<pre>{e(json.dumps(obj, indent=2))}</pre></details>"
    )


def _redirect(location: str) -> Response:
    from integrations.sandbox.wsgi import Response

    return Response(303, b"", "text/plain", [("Location", location), *SECURITY_HEADERS])


def _required(form: dict, key: str, what: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise Refused(f"Enter {what}: nothing was changed.")
    return value


def _new_item(form: dict) -> dict:
    """The Item a "New product or service" form asks for, as the API's create takes it."""
    item = {"Name": _required(form, "name", "a name"), "Type": form.get("type", "NonInventory")}
    for key, field in (("IncomeAccountRef", "income_account"),
                       ("ExpenseAccountRef", "expense_account")):  # fmt: skip
        if form.get(field):
            item[key] = {"value": form[field]}
    for key, field in (("UnitPrice", "unit_price"), ("PurchaseCost", "purchase_cost")):
        if form.get(field, "").strip():
            item[key] = form[field].strip()  # a number as text, read as the API reads it
    return item


def _refusal(refusal: Exception) -> str:
    if isinstance(refusal, faults.QboFault):
        return (
            f"QuickBooks refused this, and nothing was changed: {refusal.message}. "
            f"{refusal.detail} (code {refusal.code})"
        )
    return str(refusal)
