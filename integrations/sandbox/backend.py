"""State of every sandbox company, with QBO's rules applied on each read and write.

Pure Python: no Django, no HTTP. The WSGI layer and the pytest fixture share one `Backend`.
Stored objects are never mutated in place: a write stores a new dict, so a reader may serialise
what it got outside the lock.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from integrations.sandbox import contract, faults, query
from integrations.sandbox.auth import (
    DEFAULT_ACCESS_TTL,
    DEFAULT_REFRESH_ROTATION,
    DEFAULT_REFRESH_TTL,
    OAuthState,
    TokenTiming,
)
from integrations.sandbox.entities import (
    BY_PATH,
    QUERYABLE,
    SPECS,
    SYSTEM_FIELDS,
    Spec,
    check_doc_number,
    open_amount,
)
from integrations.sandbox.entities import queryable_fields as _fields
from integrations.sandbox.random_faults import FAULT_KINDS, FaultInjector
from integrations.sandbox.webhooks import Change, WebhookSender

DEFAULT_REALM_ID = "9341453050298375"
DEFAULT_COMPANY_NAME = "Green Valley Distribution (Sandbox)"
DEFAULT_CLIENT_ID = "distru-local-client"
DEFAULT_CLIENT_SECRET = "distru-local-secret"  # noqa: S105 - the documented local default
COMPANY_TZ = timezone(timedelta(hours=-7), "PDT")
CDC_WINDOW = timedelta(days=30)
CDC_CAP = 1000
BATCH_MAX = 30
# QBO keys each batch item by the batch's requestid and the item's bId, in one field of 50
# characters (intuit/QuickBooks-V3-Java-SDK#180; README, "Batch").
ITEM_REQUEST_ID_MAX = 50
REQUEST_LOG_SIZE = 10000
CURRENCY_NAMES = {"USD": "United States Dollar", "CAD": "Canadian Dollar"}
# `?include=allowduplicatedocnum` lets a write reuse a DocNumber (Intuit's entity pages).
ALLOW_DUPLICATE_DOC_NUMBER = "allowduplicatedocnum"
# What QBO puts between "Voided" and the note a voided transaction had (README, "Void and delete").
VOID_NOTE_SEPARATOR = " - "
NAME_GROUPS = {
    "Item": ("Item", "FullyQualifiedName"),
    "Account": ("Account", "FullyQualifiedName"),
    "Class": ("Class", "FullyQualifiedName"),
    "Customer": ("Party", "DisplayName"),
    "Vendor": ("Party", "DisplayName"),
    "PaymentMethod": ("PaymentMethod", "Name"),
    "Term": ("Term", "Name"),
    "Department": ("Department", "FullyQualifiedName"),
}


def stamp(when: datetime) -> str:
    """QBO's MetaData time: seconds and the company's UTC offset."""
    return when.isoformat(timespec="seconds")


@dataclass
class Config:
    """Knobs of the sandbox; the control plane can change them at run time."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    access_token_ttl: int = DEFAULT_ACCESS_TTL
    refresh_token_ttl: int = DEFAULT_REFRESH_TTL
    # Seconds a refresh token's value is handed back on refresh before a new one replaces it:
    # Intuit's day by default; 0 rotates it on every refresh (the product's race tests).
    refresh_token_rotation: int = DEFAULT_REFRESH_ROTATION
    limits: bool = True
    rate_per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40
    latency_ms: int = 0
    redirect_uris: list[str] = field(default_factory=list)  # empty: any redirect_uri
    # Random faults (random_faults.py): this share of API requests gets one of `fault_kinds`.
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    fault_timeout_ms: int = 35_000  # longer than the client's default 30 s timeout

    def token_timing(self, hard_expiry: bool = False) -> TokenTiming:
        """The token lifetimes and rotation in force; `hard_expiry` when the client asked."""
        return TokenTiming(
            self.access_token_ttl, self.refresh_token_ttl, self.refresh_token_rotation, hard_expiry
        )


class Company:
    """One QBO company (realm): its objects, deleted transactions, links and idempotency keys."""

    def __init__(self, realm_id: str, name: str, now: Callable[[], datetime]):
        self.realm_id = realm_id
        self.name = name
        self.now = now
        self.objects: dict[str, dict[str, dict]] = {e: {} for e in SPECS}
        self.deleted: dict[str, dict[str, dict]] = {e: {} for e in SPECS}
        self.counters: dict[str, int] = {e: 0 for e in SPECS}
        self.sequences: dict[str, int] = {}  # DocNumbers, address ids
        self.names: dict[str, dict[str, str]] = {g: {} for g, _ in NAME_GROUPS.values()}
        self.links: dict[str, dict[str, float]] = {}  # "Invoice:5" -> {"Payment:9": 50.0}
        self.paid: dict[str, dict[str, float]] = {}  # the reverse: "Payment:9" -> {...}
        self.deposited: set[str] = set()
        self.responses: dict[str, list] = {}  # requestid -> [status, body]
        self.on_change: Callable[[Change], None] | None = None  # told of every stored change

    # ---- lookups used by the entity rules ----

    def get(self, entity: str, obj_id: str) -> dict | None:
        """The current object, or None."""
        return self.objects.get(entity, {}).get(str(obj_id))

    def name_owner(self, group: str, name: str) -> str | None:
        """Who holds a name in a uniqueness group (case-insensitive)."""
        return self.names[group].get(name.lower())

    def applied_to(self, entity: str, obj_id: str) -> dict[str, float]:
        """Payments applied to a document: {"Payment:9": amount}."""
        return dict(self.links.get(f"{entity}:{obj_id}", {}))

    def today(self) -> date:
        """The company's current date."""
        return self.now().date()

    def next_in(self, sequence: str, start: int = 1) -> str:
        """The next number of a company-wide sequence (an entity's DocNumbers, address ids)."""
        self.sequences[sequence] = self.sequences.get(sequence, start - 1) + 1
        return str(self.sequences[sequence])

    def preferences(self, group: str) -> dict:
        """One group of the company's Preferences, such as "TaxPrefs" (empty if it has none)."""
        group_prefs = (self.get("Preferences", "1") or {}).get(group)
        return group_prefs if isinstance(group_prefs, dict) else {}

    def country(self) -> str:
        """CompanyInfo.Country: "US", "CA", "GB"..."""
        return str((self.get("CompanyInfo", "1") or {}).get("Country") or "US").upper()

    def uses_sales_tax(self) -> bool:
        """Preferences.TaxPrefs.UsingSalesTax: without it QBO ignores all tax on sales forms."""
        return self.preferences("TaxPrefs").get("UsingSalesTax") is True

    def home_currency(self) -> dict:
        """The CurrencyRef of the company's home currency."""
        code = self.preferences("CurrencyPrefs").get("HomeCurrency", {}).get("value") or "USD"
        return {"value": code, "name": CURRENCY_NAMES.get(code, code)}

    def custom_fields(self) -> list[dict]:
        """The sales-form custom fields that Preferences turn on."""
        prefs = self.get("Preferences", "1") or {}
        enabled, names = set(), {}
        for group in prefs.get("SalesFormsPrefs", {}).get("CustomField", []):
            for item in group.get("CustomField", []):
                suffix = item.get("Name", "")[-1:]
                if "UseSalesCustom" in item.get("Name", "") and item.get("BooleanValue"):
                    enabled.add(suffix)
                elif "SalesCustomName" in item.get("Name", ""):
                    names[suffix] = item.get("StringValue", "")
        return [
            {"DefinitionId": n, "Name": names[n], "Type": "StringType"}
            for n in sorted(enabled)
            if names.get(n)
        ]

    def _first_account(self, key: str, value: str) -> dict | None:
        for account in self.objects["Account"].values():
            if account.get(key) == value and account.get("Active"):
                return {"value": account["Id"]}
        return None

    def undeposited_funds(self) -> dict | None:
        """The Undeposited Funds account, where payments land by default."""
        return self._first_account("AccountSubType", "UndepositedFunds")

    def accounts_payable(self) -> dict | None:
        """The default A/P account of bills."""
        return self._first_account("AccountType", "Accounts Payable")

    # ---- writes ----

    def create(
        self,
        spec: Spec,
        payload: dict,
        at: datetime | None = None,
        include: frozenset = frozenset(),
    ) -> dict:
        """Create an object; QBO assigns Id, SyncToken and MetaData."""
        if spec.kind == "single":
            raise faults.unsupported(f"/v3/company/{self.realm_id}/{spec.path}")
        obj_id = str(self.counters[spec.name] + 1)
        prepared = spec.prepare(self, _strip(payload), None, obj_id)
        if ALLOW_DUPLICATE_DOC_NUMBER not in include:
            check_doc_number(self, spec.name, prepared, None)
        when = stamp(at or self.now())
        obj = {"domain": "QBO", "sparse": False, "Id": obj_id, "SyncToken": "0",
               "MetaData": {"CreateTime": when, "LastUpdatedTime": when}, **prepared}  # fmt: skip
        self.counters[spec.name] += 1
        self._store(spec, obj, None)
        self._changed(spec.name, obj, "Create")
        if spec.pays:
            self._apply_payment(spec, obj)
        return obj

    def put_single(self, entity: str, obj: dict, at: datetime) -> dict:
        """Install the one Preferences or CompanyInfo object of the company."""
        when = stamp(at)
        stored = {"domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0",
                  "MetaData": {"CreateTime": when, "LastUpdatedTime": when}, **obj}  # fmt: skip
        self.objects[entity]["1"] = stored
        return stored

    def put_builtin(self, entity: str, obj: dict) -> None:
        """Install an object QBO makes itself, as QBO answers it (the pseudo tax codes)."""
        self.objects[entity][obj["Id"]] = obj

    def _current(self, spec: Spec, payload: dict) -> dict:
        obj_id = str(payload.get("Id") or "")
        if not obj_id:
            raise faults.required("Id")
        old = self.get(spec.name, obj_id)
        if old is None and obj_id in self.deleted[spec.name]:
            raise faults.not_found(detail=faults.DELETED_DETAIL)
        if old is None:
            raise faults.not_found()
        token = payload.get("SyncToken")
        if token is None:
            raise faults.required("SyncToken")
        if str(token) != old["SyncToken"]:
            raise faults.stale()
        if spec.name == "Payment" and obj_id in self.deposited:
            raise _deposited()
        return old

    def update(self, spec: Spec, payload: dict, include: frozenset = frozenset()) -> dict:
        """Full or sparse update, SyncToken checked; an update that changes nothing is free."""
        old = self._current(spec, payload)
        if payload.get("sparse") is True:
            base = _strip(old)
            changes = _strip(payload)
            candidate = _deep_merge(base, changes) if spec.kind == "single" else base | changes
        else:
            candidate = _strip(payload)
            candidate |= {k: old[k] for k in spec.keep if k in old and k not in candidate}
        prepared = spec.prepare(self, candidate, old, old["Id"])
        if ALLOW_DUPLICATE_DOC_NUMBER not in include:
            check_doc_number(self, spec.name, prepared, old)
        if prepared == _strip(old):
            return old
        obj = _bumped({**_system(old), **prepared}, self.now())
        self._store(spec, obj, old)
        # A name-list object is deleted by making it inactive; QBO reports that as a Delete.
        inactivated = spec.kind == "list" and old.get("Active", True) and obj.get("Active") is False
        self._changed(spec.name, obj, "Delete" if inactivated else "Update")
        if spec.pays:
            self._apply_payment(spec, self.get(spec.name, old["Id"]))
        return self.get(spec.name, old["Id"])

    def delete(self, spec: Spec, payload: dict) -> dict:
        """Delete a transaction; name-list objects are only ever made inactive."""
        if spec.kind != "txn":
            raise faults.unsupported(f"/v3/company/{self.realm_id}/{spec.path}?operation=delete")
        old = self._current(spec, payload)
        self._refuse_if_linked(spec, old, "deleting")
        self._unapply(spec, old)
        del self.objects[spec.name][old["Id"]]
        self._move_balances(spec, old, None)
        self.deleted[spec.name][old["Id"]] = gone = {
            "domain": "QBO", "status": "Deleted", "Id": old["Id"],
            "MetaData": {"LastUpdatedTime": stamp(self.now())},
        }  # fmt: skip
        self._changed(spec.name, gone, "Delete")
        return {"domain": "QBO", "status": "Deleted", "Id": old["Id"]}

    def void(self, spec: Spec, payload: dict, form: str) -> dict:
        """Void a transaction, in the one form QBO takes for its type: amounts go to zero.

        `form` is "operation" (`?operation=void`) or "include" (`?include=void` on an update).
        """
        if spec.void_by != form:
            query = "operation=void" if form == "operation" else "include=void"
            raise faults.unsupported(f"/v3/company/{self.realm_id}/{spec.path}?{query}")
        old = self._current(spec, payload)
        self._refuse_if_linked(spec, old, "voiding")
        self._unapply(spec, old)
        obj = copy.deepcopy(self.get(spec.name, old["Id"]))
        obj["PrivateNote"] = VOID_NOTE_SEPARATOR.join(
            filter(None, ["Voided", obj.get("PrivateNote")])
        )
        obj["TotalAmt"] = 0
        if spec.pays:
            obj["Line"] = []
            if "UnappliedAmt" in obj:
                obj["UnappliedAmt"] = 0
        else:
            _zero_lines(obj["Line"])
            obj["Balance"] = 0
            if "TxnTaxDetail" in obj:
                obj["TxnTaxDetail"] = {"TotalTax": 0}
        obj = _bumped(obj, self.now())
        self._store(spec, obj, old)
        self._changed(spec.name, obj, "Void")
        return obj

    def _refuse_if_linked(self, spec: Spec, old: dict, doing: str) -> None:
        """A document that payments are applied to is neither deleted nor voided."""
        if self.links.get(f"{spec.name}:{old['Id']}"):
            raise faults.linked_transactions(spec.name, doing)

    def _unapply(self, spec: Spec, old: dict) -> None:
        """A payment that is deleted or voided no longer pays its documents."""
        if spec.pays:
            self._apply_payment(spec, {**old, "Line": []})

    def _apply_payment(self, spec: Spec, payment: dict) -> None:
        """Point the payment's links at its documents and refresh their Balance and LinkedTxn."""
        pay_key = f"{spec.name}:{payment['Id']}"
        new: dict[str, float] = {}
        for line in payment.get("Line", []):
            doc_key = f"{spec.pays}:{line['LinkedTxn'][0]['TxnId']}"
            new[doc_key] = round(new.get(doc_key, 0) + line["Amount"], 2)
        old = self.paid.get(pay_key, {})
        if new == old:
            return
        for doc_key in set(old) | set(new):
            payers = self.links.setdefault(doc_key, {})
            payers.pop(pay_key, None)
            if doc_key in new:
                payers[pay_key] = new[doc_key]
            if not payers:
                del self.links[doc_key]
            doc_entity, doc_id = doc_key.split(":")
            doc = copy.deepcopy(self.get(doc_entity, doc_id))
            if doc is None:
                continue
            applied = self.links.get(doc_key, {})
            doc["Balance"] = round(doc["TotalAmt"] - sum(applied.values()), 2)
            doc["LinkedTxn"] = [{"TxnId": k.split(":")[1], "TxnType": spec.name} for k in applied]
            doc = _bumped(doc, self.now())
            self._store(SPECS[doc_entity], doc, None)
            self._changed(doc_entity, doc, "Update")
        if new:
            self.paid[pay_key] = new
        else:
            self.paid.pop(pay_key, None)

    def _store(self, spec: Spec, obj: dict, old: dict | None) -> None:
        old = old or self.get(spec.name, obj["Id"])
        if spec.name in NAME_GROUPS:
            group, field_name = NAME_GROUPS[spec.name]
            owner = f"{spec.name}:{obj['Id']}" if group == "Party" else obj["Id"]
            if old is not None:
                self.names[group].pop(old[field_name].lower(), None)
            self.names[group][obj[field_name].lower()] = owner
        self.objects[spec.name][obj["Id"]] = obj
        self._move_balances(spec, old, obj)

    def _move_balances(self, spec: Spec, old: dict | None, new: dict | None) -> None:
        """Move the Balance of the customer or vendor a document was and is for by what it
        owes now less what it owed (and BalanceWithJobs up the parents). QBO computes these;
        the party's SyncToken and LastUpdatedTime stay (README, "The company around sales and
        purchases")."""
        if spec.party is None:
            return
        moves: dict[str, float] = {}
        for doc, sign in ((old, -1), (new, 1)):
            if doc and spec.party in doc:
                party_id = doc[spec.party]["value"]
                moves[party_id] = moves.get(party_id, 0) + sign * open_amount(spec.name, doc)
        party = spec.party.removesuffix("Ref")
        for party_id, move in moves.items():
            if move:
                self._move_balance(party, party_id, move)

    def _move_balance(self, party: str, party_id: str, move: float) -> None:
        """Add `move` to a party's Balance, and to the BalanceWithJobs of it and its parents."""
        keys = ("Balance", "BalanceWithJobs")
        while party_id and (current := self.get(party, party_id)) is not None:
            moved = {key: round(current[key] + move, 2) for key in keys if key in current}
            self.objects[party][party_id] = {**current, **moved}
            keys = ("BalanceWithJobs",)  # a parent's own Balance is its own documents'
            party_id = current.get("ParentRef", {}).get("value")

    def _changed(self, entity: str, obj: dict, operation: str) -> None:
        if self.on_change is not None:
            when = datetime.fromisoformat(obj["MetaData"]["LastUpdatedTime"])
            self.on_change(Change(self.realm_id, entity, obj["Id"], operation, when))

    # ---- persistence ----

    def dump(self) -> dict:
        """JSON-ready state of the company."""
        return {
            "realm_id": self.realm_id,
            "name": self.name,
            "objects": self.objects,
            "deleted": self.deleted,
            "counters": self.counters,
            "sequences": self.sequences,
            "links": self.links,
            "deposited": sorted(self.deposited),
            "responses": self.responses,
        }

    @classmethod
    def load(cls, data: dict, now: Callable[[], datetime]) -> Company:
        """Rebuild a company, and its indexes, from `dump`."""
        company = cls(data["realm_id"], data["name"], now)
        for key in ("objects", "deleted", "counters"):
            getattr(company, key).update(data[key])
        company.sequences = data["sequences"]
        company.links = data["links"]
        company.deposited = set(data["deposited"])
        company.responses = data["responses"]
        for entity, (group, field_name) in NAME_GROUPS.items():
            for obj in company.objects[entity].values():
                owner = f"{entity}:{obj['Id']}" if group == "Party" else obj["Id"]
                company.names[group][obj[field_name].lower()] = owner
        for doc_key, payers in company.links.items():
            for pay_key, amount in payers.items():
                company.paid.setdefault(pay_key, {})[doc_key] = amount
        return company


def _deposited() -> faults.QboFault:
    return faults.QboFault(
        "6540",
        "Deposited Transaction cannot be changed",
        "This transaction has been deposited. If you want to change or delete it, you must "
        "edit the deposit it appears on and remove it first.",
        element="",
    )


def _zero_lines(lines: list[dict]) -> None:
    """A void's lines: every amount and quantity 0, a bundle's inner lines too."""
    for line in lines:
        line["Amount"] = 0
        detail = line.get(line.get("DetailType", ""), {})
        for key in ("Qty", "Quantity"):
            if key in detail:
                detail[key] = 0
        _zero_lines(detail.get("Line", []))


def _strip(obj: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in obj.items() if k not in SYSTEM_FIELDS}


def _system(obj: dict) -> dict:
    return {k: obj[k] for k in ("domain", "sparse", "Id", "SyncToken", "MetaData") if k in obj}


def _bumped(obj: dict, now: datetime) -> dict:
    return {
        **obj,
        "SyncToken": str(int(obj["SyncToken"]) + 1),
        "MetaData": {**obj["MetaData"], "LastUpdatedTime": stamp(now)},
    }


def _deep_merge(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Backend:
    """Every company, the OAuth state and the knobs; one lock serialises all access."""

    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.companies: dict[str, Company] = {}
        self.oauth = OAuthState(self.epoch)
        self.requests: deque[dict] = deque(maxlen=REQUEST_LOG_SIZE)
        self.fail_rules: list[dict] = []
        self.random_faults = FaultInjector()
        self.webhooks = WebhookSender(self.connected)

    def epoch(self) -> float:
        """Seconds since the epoch, on the sandbox's (shiftable) clock."""
        return time.time() + self.clock_offset

    def now(self) -> datetime:
        """The current time in the company's time zone."""
        return datetime.fromtimestamp(self.epoch(), COMPANY_TZ)

    def time(self) -> str:
        """The `time` of a response body, with milliseconds as QBO writes it."""
        return self.now().isoformat(timespec="milliseconds")

    # ---- companies ----

    def reset(self, seed: str = "sample", items: int = 0) -> Company:
        """Forget everything (companies, tokens, log, failures, webhooks waiting and their
        counts); seed anew. The config and the webhook subscription stay."""
        with self.lock:
            self.companies.clear()
            self.oauth = OAuthState(self.epoch)
            self.requests.clear()
            self.fail_rules.clear()
            self.random_faults.reset()
            self.webhooks.forget()
            self.clock_offset = 0.0
            return self.seed(seed=seed, items=items)

    def seed(
        self,
        seed: str = "sample",
        items: int = 0,
        realm_id: str = DEFAULT_REALM_ID,
        name: str | None = None,
    ) -> Company:
        """(Re)create one company from a seed (`SEEDS`: its country and tax setup), plus items."""
        from integrations.sandbox.seed import SEEDS, populate

        if seed not in SEEDS:
            raise ValueError(f"seed must be one of {', '.join(SEEDS)}")
        with self.lock:
            company = Company(realm_id, name or SEEDS[seed].name, self.now)
            self.companies[realm_id] = company
            populate(company, SEEDS[seed], items=items)
            company.on_change = self.webhooks.record  # seeding is no change an app hears of
            return company

    def company(self, realm_id: str) -> Company | None:
        """A company by realm id."""
        return self.companies.get(realm_id)

    def connected(self, realm_id: str) -> bool:
        """Whether an app holds a live grant for the company (webhooks go only to such)."""
        with self.lock:
            return self.oauth.connected(realm_id)

    def _company(self, realm_id: str) -> Company:
        company = self.companies.get(realm_id)
        if company is None:
            raise faults.authorization_failed()
        return company

    # ---- API ----

    def read(self, realm_id: str, path: str, obj_id: str) -> dict:
        """GET /{entity}/{id}: {"Item": {...}}."""
        spec = _spec_for_path(path, realm_id)
        if spec.name == "CompanyInfo":
            obj_id = "1" if obj_id == realm_id else obj_id
        if not obj_id.isdigit():
            raise faults.QboFault(
                "2030", "Invalid ID", f"Id should be a valid number. Supplied value:{obj_id}",
                element="Id", with_time=False,
            )  # fmt: skip
        with self.lock:
            obj = self._company(realm_id).get(spec.name, obj_id)
        if obj is None:
            raise faults.not_found()
        return {spec.name: obj}

    def write(
        self, realm_id: str, path: str, payload: object, operation: str | None, include: str = ""
    ) -> dict:
        """POST /{entity}[?operation=delete|void][&include=...]: create, update, delete or void."""
        spec = _spec_for_path(path, realm_id)
        return {spec.name: self._write(realm_id, spec, payload, operation, _options(include))}

    def _write(
        self,
        realm_id: str,
        spec: Spec,
        payload: object,
        operation: str | None,
        include: frozenset = frozenset(),
    ) -> dict:
        if spec.read_only:  # QBO's tax setup makes these; the API only reads them
            raise faults.unsupported(f"/v3/company/{realm_id}/{spec.path}")
        try:
            payload = contract.load().conform(spec.name, payload)
        except contract.SchemaViolation as violation:
            raise violation.fault() from None
        with self.lock:
            company = self._company(realm_id)
            if operation == "delete":
                return company.delete(spec, payload)
            if operation == "void":
                return company.void(spec, payload, form="operation")
            if "void" in include and operation in (None, "", "update"):
                return company.void(spec, payload, form="include")
            if operation not in (None, "", "create", "update"):
                raise faults.unsupported(f"/{spec.path}?operation={operation}")
            if payload.get("Id") in (None, "") and spec.kind != "single":
                return company.create(spec, payload, include=include)
            if spec.kind == "single":
                payload = {**payload, "Id": "1"}
            return company.update(spec, payload, include=include)

    def single(self, realm_id: str, entity: str) -> dict:
        """GET /preferences: the one object of a single-instance entity."""
        with self.lock:
            obj = self._company(realm_id).get(entity, "1")
        if obj is None:
            raise faults.not_found()
        return {entity: obj}

    def query(self, realm_id: str, text: str) -> dict:
        """GET /query: {"QueryResponse": {...}}; name lists hide inactive rows unless asked."""
        parsed = query.parse(text, QUERYABLE, _fields)
        spec = SPECS[parsed.entity]
        with self.lock:
            rows = list(self._company(realm_id).objects[spec.name].values())
        if spec.kind == "list" and not parsed.mentions("Active"):
            rows = [r for r in rows if r.get("Active", True)]
        result = query.run(parsed, rows, spec.order)
        if isinstance(result, int):
            return {"QueryResponse": {"totalCount": result}}
        if not result:
            return {"QueryResponse": {}}
        return {
            "QueryResponse": {
                spec.name: result,
                "startPosition": parsed.start,
                "maxResults": len(result),
            }
        }

    def cdc(self, realm_id: str, entities: str, changed_since: str) -> dict:
        """GET /cdc: what changed since a time, at most 30 days back and 1000 in all."""
        names = [e.strip() for e in entities.split(",") if e.strip()]
        if not names:
            raise faults.required("entities")
        if not changed_since:
            raise faults.required("changedSince")
        try:
            since = datetime.fromisoformat(changed_since.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise faults.business("changedSince must be an ISO 8601 date-time") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=COMPANY_TZ)
        if since < self.now() - CDC_WINDOW:
            raise faults.business("changedSince must be within the last 30 days", "changedSince")
        specs = []
        for name in names:
            if name.lower() not in QUERYABLE:
                raise faults.query_validation_error(f"invalid context declaration: {name}")
            if (spec := SPECS[QUERYABLE[name.lower()]]) not in specs:
                specs.append(spec)
        with self.lock:
            company = self._company(realm_id)
            pools = [
                (s, [*company.objects[s.name].values(), *company.deleted[s.name].values()])
                for s in specs
            ]
        changed = sorted(
            (
                (when, spec.name, obj)
                for spec, pool in pools
                for obj in pool
                if (when := datetime.fromisoformat(obj["MetaData"]["LastUpdatedTime"])) >= since
            ),
            key=lambda change: change[0],
        )
        # The cap is on the whole answer, not on each entity; which changes QBO keeps is not
        # documented: the oldest are kept here (README, "Queries, CDC and discovery").
        kept: dict[str, list[dict]] = {spec.name: [] for spec, _ in pools}
        for _, entity, obj in changed[:CDC_CAP]:
            kept[entity].append(obj)
        answers = []
        for spec, _ in pools:
            rows = kept[spec.name]
            answers.append(
                {spec.name: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {}
            )
        return {"CDCResponse": [{"QueryResponse": answers}]}

    def batch(self, realm_id: str, payload: object, requestid: str | None = None) -> dict:
        """POST /batch: up to 30 operations, each answered on its own (with a Fault if it fails)."""
        items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise faults.required("BatchItemRequest")
        if len(items) > BATCH_MAX:
            raise faults.business(
                f"The batch has {len(items)} items; at most {BATCH_MAX} are allowed",
                "BatchItemRequest",
            )
        answers = [self._batch_item(realm_id, item, requestid) for item in items]
        return {"BatchItemResponse": answers}

    def _batch_item(self, realm_id: str, item: object, requestid: str | None) -> dict:
        bid = item.get("bId") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise faults.required("bId")
            if requestid and len(keyed := f"{requestid}{bid}") > ITEM_REQUEST_ID_MAX:
                raise faults.business(
                    f"You cannot enter more than {ITEM_REQUEST_ID_MAX} characters in the "
                    f"request_id field. You tried entering {keyed}, which is {len(keyed)} "
                    "characters."
                )
            if "Query" in item:
                return {**self.query(realm_id, str(item["Query"])), "bId": bid}
            entity = next((k for k in item if k in SPECS), None)
            if entity is None:
                raise faults.required("entity")
            operation = item.get("operation", "create")
            if operation not in {"create", "update", "delete", "void"}:
                raise faults.unsupported(f"batch operation {operation}")
            # A batch voids a payment as an update with optionsData "void" (node-quickbooks #150).
            include = _options(str(item.get("optionsData") or ""))
            result = self._write(realm_id, SPECS[entity], item[entity], operation, include)
            return {entity: result, "bId": bid}
        except faults.QboFault as fault:
            return {"Fault": fault.fault(), "bId": bid}

    def idempotent(self, realm_id: str, requestid: str | None, write: Callable[[], tuple]):
        """Run a write once per requestid; a repeat gets the stored (status, body) back."""
        if not requestid:
            return write()
        with self.lock:
            company = self._company(realm_id)
            if requestid in company.responses:
                status, body = company.responses[requestid]
                return status, body
            status, body = write()
            company.responses[requestid] = [status, body]
            return status, body

    def mark_deposited(self, realm_id: str, payment_id: str) -> None:
        """Mark a payment as deposited, as a bank deposit made in QBO's screens would."""
        with self.lock:
            company = self._company(realm_id)
            if company.get("Payment", payment_id) is None:
                raise faults.not_found()
            company.deposited.add(str(payment_id))

    # ---- control-plane views and persistence ----

    def counts(self) -> dict:
        """Objects per entity per realm, plus deleted transactions."""
        with self.lock:
            return {
                realm: {
                    "company": c.name,
                    "objects": {e: len(objs) for e, objs in c.objects.items() if objs},
                    "deleted": {e: len(objs) for e, objs in c.deleted.items() if objs},
                }
                for realm, c in self.companies.items()
            }

    def dump(self) -> dict:
        """JSON-ready state of the whole sandbox (companies, tokens, clock, config)."""
        with self.lock:
            return {
                "version": 1,
                "clock_offset": self.clock_offset,
                "config": asdict(self.config),
                "companies": {realm: c.dump() for realm, c in self.companies.items()},
                "oauth": self.oauth.dump(),
            }

    def load(self, data: dict) -> None:
        """Restore the state written by `dump`."""
        with self.lock:
            self.clock_offset = data.get("clock_offset", 0.0)
            self.companies = {
                realm: Company.load(c, self.now) for realm, c in data["companies"].items()
            }
            for company in self.companies.values():
                company.on_change = self.webhooks.record
            self.oauth.load(data.get("oauth", {}))


def _options(include: str) -> frozenset[str]:
    """The comma-separated options of `?include=` (or a batch item's `optionsData`)."""
    return frozenset(part.strip().lower() for part in include.split(",") if part.strip())


def _spec_for_path(path: str, realm_id: str) -> Spec:
    spec = BY_PATH.get(path.lower())
    if spec is None:
        raise faults.unsupported(f"/v3/company/{realm_id}/{path}")
    return spec


def save_state(backend: Backend, path: Path) -> None:
    """Write the sandbox's state to a JSON file, atomically."""
    data = json.dumps(backend.dump())
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(data)
    os.replace(temporary, path)


def load_state(backend: Backend, path: Path) -> bool:
    """Load a state file written by `save_state`; False if there is none."""
    if not path.exists():
        return False
    backend.load(json.loads(path.read_text()))
    return True
