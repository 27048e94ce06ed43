"""Forms of the product admin."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from distru_qbo.money import round_cents
from integrations.admin_forms import QboItemPicker
from integrations.models import QboItem
from integrations.selectors import MAPPING_SIDES, item_unfit_for
from products.models import MONEY_MAX, Product, Side
from products.selectors import MAPPING_FIELDS, document_number_preview, document_paid
from products.services import (
    NumberTooLong,
    document_number_peek,
    document_numbering_lock,
    priced_document_totals,
)

ITEM_GONE = "Pick another item: this one is no longer in QuickBooks."


class _ItemIdField(forms.ModelChoiceField):
    """An item chosen by id: the form, not the field, loads it, so both sides cost one query."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ProductMappingForm(forms.Form):
    """Per side, what to set on many products at once: an item, or none (each product then
    uses the default item), or nothing (each keeps its own).

    Once valid, `changes` maps each field to set to its item, or to None to clear it.
    """

    changes: dict[str, QboItem | None]

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.sides = []
        for field_name in MAPPING_FIELDS.values():
            model_field = Product._meta.get_field(field_name)
            label = model_field.verbose_name.capitalize()
            side = MAPPING_SIDES[model_field.remote_field.related_name]
            self.fields[field_name] = _ItemIdField(
                queryset=QboItem.objects.all(),
                required=False,
                label=label,
                help_text=f"Leave empty to keep each product's {label}.",
                widget=QboItemPicker(model_field, admin_site),
                error_messages={"invalid_choice": ITEM_GONE},
            )
            self.fields[f"clear_{field_name}"] = forms.BooleanField(
                required=False, label=f"None: use the default, {side.default}"
            )
            self.sides.append((self[field_name], self[f"clear_{field_name}"]))

    def clean(self):
        cleaned = super().clean()
        changes = {}
        for name in MAPPING_FIELDS.values():
            pk, clear = cleaned.get(name), cleaned.get(f"clear_{name}")
            if pk is not None and clear:
                self.add_error(name, "Pick an item or tick None, not both.")
            elif clear or pk is not None:
                changes[name] = pk
        if not changes:
            if not self.errors:
                raise ValidationError(
                    "Pick a Sales item or a Purchase item, or tick None on a side to clear it."
                )
            return cleaned
        items = QboItem.objects.select_related("tax").in_bulk(
            [pk for pk in changes.values() if pk is not None]
        )
        for name, pk in changes.items():
            if pk is None:
                continue
            mapping = Product._meta.get_field(name).remote_field.related_name
            item = items.get(pk)
            if problem := ITEM_GONE if item is None else item_unfit_for(item, mapping=mapping):
                self.add_error(name, problem)
            else:
                changes[name] = item
        self.changes = changes
        return cleaned


class NumberedDocumentForm(forms.ModelForm):
    """A document whose number, left empty, is the next of its series when it is saved
    (`PricedDocumentAdmin.save_model`); the field shows that number greyed out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if (field := self.fields.get("number")) and (
            preview := document_number_preview(kind=self._meta.model.numbering)
        ):
            field.widget.attrs["placeholder"] = preview

    def clean(self):
        cleaned = super().clean()
        # Held until the save commits: the number typed is checked (next, in _post_clean), or
        # the one to take is found, with no other save of the series in between.
        numbering = document_numbering_lock(kind=self._meta.model.numbering)
        if not cleaned.get("number") and not self.has_error("number"):
            try:
                document_number_peek(numbering=numbering)
            except NumberTooLong as error:
                self.add_error("number", str(error))
        return cleaned


class DocumentPartsFormSet(BaseInlineFormSet):
    """An inline of a priced document that can see the document's other inlines.

    `PricedDocumentAdmin` gives the formsets of one form a shared `parts` list, since the lines
    are checked with the taxes posted beside them.
    """

    parts: list | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.parts is not None:
            self.parts.append(self)

    def get_unique_error_message(self, unique_check):
        # Two rows of one save that a unique constraint forbids: in the constraint's own words.
        for constraint in self.model._meta.total_unique_constraints:
            if set(constraint.fields) == set(unique_check):
                return constraint.get_violation_error_message()
        return super().get_unique_error_message(unique_check)

    def live_forms(self) -> list:
        """The forms that will be rows once saved: kept, and filled in or already saved."""
        return [
            form
            for form in self.forms
            if not (self.can_delete and self._should_delete_form(form))
            and (form.instance.pk is not None or form.has_changed())
        ]


class TaxSelect(forms.Select):
    """A select of taxes whose options carry their rate, for the page's running totals."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if tax := getattr(value, "instance", None):
            option["attrs"]["data-rate"] = str(tax.rate)
        return option


class TaxLineForm(forms.ModelForm):
    """A tax line; `charged_by_default` marks a new document's row filled in by default."""

    charged_by_default = False

    def has_changed(self):
        # Django takes an untouched extra row for an empty one: a default tax is charged as it
        # stands, unless its tax was emptied.
        if self.charged_by_default:
            return bool(self["tax"].data)
        return super().has_changed()


class TaxLinesFormSet(DocumentPartsFormSet):
    """A priced document's tax lines. A new document's come filled in with the taxes charged by
    default on its side (`Tax.applies_to`), each a row that can be removed before saving; they
    are left out when its customer or vendor is tax-exempt (named in `exempted`)."""

    exempted: tuple = ()

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and instance.pk is None and not kwargs.get("initial"):
            taxes = self.model._meta.get_field("tax").related_model.objects
            kwargs["initial"] = [{"tax": tax.pk} for tax in taxes.charged_by_default(instance.side)]
        super().__init__(*args, instance=instance, **kwargs)
        self.extra = max(self.extra, len(self.initial_extra or ()))

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.charged_by_default = self.instance.pk is None and bool(form.initial.get("tax"))
        return form

    def full_clean(self):
        # Runs once the document's own form is clean, so its customer or vendor is known.
        party = getattr(self.instance, self.instance.party_field, None)
        if party is not None and party.tax_exempt:
            for form in self.forms:
                form.charged_by_default = False
            # A row the user changed still counts; one left as it came is dropped.
            self.exempted = tuple(
                form.initial["tax"]
                for form in self.extra_forms
                if form.initial.get("tax") and not form.has_changed()
            )
        super().full_clean()


class ProductLineForm(forms.ModelForm):
    """A document line whose unit price, left empty, is the product's default on the document's
    side: the sale price on sales documents, the cost on purchase documents.

    The page's script fills the price in as the product is picked; this is the same rule for a
    save that came before the script's answer, or from a browser without it.
    """

    def __init__(self, *args, side: Side, **kwargs):
        super().__init__(*args, **kwargs)
        self.side = side
        self.fields["unit_price"].required = False

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is not None and cleaned.get("unit_price") is None:
            if not self.has_error("unit_price"):
                cleaned["unit_price"] = product.default_price(self.side)
        return cleaned


class PricedLinesFormSet(DocumentPartsFormSet):
    """A priced document's lines: at least one, and amounts and totals that fit their columns.

    The check computes what `priced_document_recalculate` will store, with the taxes posted
    beside the lines (or the saved ones), so a save never overflows a column.
    """

    totals = None  # what the document comes to, once the lines and taxes are valid

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "side": self.instance.side}

    def clean(self):
        super().clean()
        forms = self.live_forms()
        if not forms:
            raise ValidationError(
                "Add at least one line: a document needs a product, a quantity and a price.",
                code="no_lines",
            )
        rates = self._tax_rates()
        if rates is None or not all(form.is_valid() for form in forms):
            return  # the errors already shown come first
        self.totals = totals = priced_document_totals(
            lines=[
                (form.cleaned_data["quantity"], form.cleaned_data["unit_price"]) for form in forms
            ],
            rates=rates,
        )
        too_big = False
        for form, amount in zip(forms, totals.line_amounts, strict=True):
            if amount > MONEY_MAX:
                too_big = True
                form.add_error(
                    "unit_price",
                    f"Lower the quantity or the unit price: together they come to {amount:,}, "
                    f"and a line holds {MONEY_MAX:,} at most.",
                )
        if too_big:
            return
        if totals.subtotal > MONEY_MAX:
            raise ValidationError(
                f"Split this document in two: its lines add up to {totals.subtotal:,}, and a "
                f"document holds {MONEY_MAX:,} at most.",
                code="subtotal_too_big",
            )
        if totals.total > MONEY_MAX:
            raise ValidationError(
                f"Split this document in two or remove a tax: with its taxes it comes to "
                f"{totals.total:,}, and a document holds {MONEY_MAX:,} at most.",
                code="total_too_big",
            )

    def _tax_rates(self) -> list[Decimal] | None:
        """The rates of the taxes this document will carry; None while they are invalid."""
        for part in self.parts or ():
            if isinstance(part, TaxLinesFormSet):
                if not part.is_valid():
                    return None
                return [form.instance.tax.rate for form in part.live_forms()]
        relation = self.instance.tax_lines_relation
        if relation is None or self.instance.pk is None:
            return []
        return [line.tax.rate for line in getattr(self.instance, relation).select_related("tax")]


def payment_over_balance(document, *, paid_elsewhere: Decimal, amount: Decimal) -> str | None:
    """Why a payment of `amount` cannot be applied to `document`, or None when it fits.

    A payment here is applied whole to its one document, and QuickBooks applies a payment to
    at most the balance the document leaves open (sandbox README, "Caught at save").
    """
    open_balance = document.total - paid_elsewhere
    if amount <= open_balance:
        return None
    if open_balance <= 0:
        return (
            f"Record no further payment on {document}: it is paid in full (its total is "
            f"{document.total:,})."
        )
    return (
        f"Enter {open_balance:,} at most: that is the balance {document} still has open (total "
        f"{document.total:,}, paid {paid_elsewhere:,}), and a payment may not exceed it."
    )


class PaymentAdminForm(forms.ModelForm):
    """A payment on its own page: at most the open balance of the document it pays.

    Subclasses set `document_field`, the payment's foreign key to its document.
    """

    document_field = ""

    def clean(self):
        cleaned = super().clean()
        document, amount = cleaned.get(self.document_field), cleaned.get("amount")
        if document is not None and amount is not None:
            paid = document_paid(document, excluding_pk=self.instance.pk)
            if problem := payment_over_balance(document, paid_elsewhere=paid, amount=amount):
                self.add_error("amount", problem)
        return cleaned


class PaymentsFormSet(DocumentPartsFormSet):
    """A document's payments, checked against the total its lines come to in the same save."""

    def clean(self):
        super().clean()
        forms = self.live_forms()
        if not forms or not all(form.is_valid() for form in forms):
            return
        total = self._document_total()
        if total is None:
            return  # the lines' own errors come first
        paid = round_cents(sum((form.cleaned_data["amount"] for form in forms), Decimal("0")))
        if paid > total:
            raise ValidationError(
                f"Lower the payments or add to the lines: the payments add up to {paid:,}, more "
                f"than this document's total of {total:,}, and a payment may not exceed the "
                "balance it leaves open.",
                code="overpaid",
            )

    def _document_total(self) -> Decimal | None:
        """The total the lines make in this save (None while they are invalid), or the saved one."""
        for part in self.parts or ():
            if isinstance(part, PricedLinesFormSet):
                return part.totals.total if part.is_valid() and part.totals else None
        return self.instance.total
