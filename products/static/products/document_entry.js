'use strict';
// A priced document's change form, as it is typed into: a product picked fills the line's
// unit price with its default (the server does the same for a price left empty), a new line
// appears as the last one's picker opens, a search typed into a picker is taken when the
// picker is left (Tab or a click elsewhere; Escape cancels), and the amounts and totals follow.
// The totals are computed as products.services.priced_document_totals computes them, in whole
// numbers (half-up to the cent); the server computes them again on save, and its are kept.
{
    const $ = django.jQuery;

    // A decimal string as a BigInt scaled by 10 ** places, or null when it is no number.
    function scaled(text, places) {
        const match = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(text || '');
        if (!match || (match[2] === '' && !match[3])) {
            return null;
        }
        const fraction = (match[3] || '').padEnd(places, '0');
        if (fraction.length > places) {
            return null;
        }
        const value = BigInt((match[2] || '0') + fraction);
        return match[1] ? -value : value;
    }

    // value / divisor, rounded half-up (away from zero), as Decimal's ROUND_HALF_UP does.
    function divideHalfUp(value, divisor) {
        const negative = value < 0n;
        const magnitude = negative ? -value : value;
        const rounded = (magnitude + divisor / 2n) / divisor;
        return negative ? -rounded : rounded;
    }

    function cents(value) {
        const negative = value < 0n;
        const digits = (negative ? -value : value).toString().padStart(3, '0');
        return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
    }

    function rows(group) {
        return $(`#${group}-group tr.form-row`).not('.empty-form').filter(function() {
            return !$(this).find('input[name$="-DELETE"]').prop('checked');
        });
    }

    function show(row, field, text) {
        row.find(`td.field-${field} p`).text(text);
    }

    function recompute() {
        let subtotal = 0n;
        rows('lines').each(function() {
            const row = $(this);
            const quantity = scaled(row.find('input[name$="-quantity"]').val(), 3);
            const price = scaled(row.find('input[name$="-unit_price"]').val(), 4);
            // quantity (3 places) × price (4 places) has 7 places; a cent has 2.
            const amount = quantity === null || price === null ? 0n : divideHalfUp(quantity * price, 100000n);
            show(row, 'amount', cents(amount));
            subtotal += amount;
        });
        let taxTotal = 0n;
        rows('tax_lines').each(function() {
            const row = $(this);
            const rate = row.find('select[name$="-tax"] option:selected').attr('data-rate');
            if (rate === undefined) {
                return;
            }
            // subtotal (cents) × rate (4 places) / 100 has 6 places beyond the cent.
            const amount = divideHalfUp(subtotal * scaled(rate, 4), 1000000n);
            show(row, 'rate', rate);
            show(row, 'taxable_amount', cents(subtotal));
            show(row, 'amount', cents(amount));
            taxTotal += amount;
        });
        $('.field-subtotal .readonly').text(cents(subtotal));
        $('.field-tax_total .readonly').text(cents(taxTotal));
        $('.field-total .readonly').text(cents(subtotal + taxTotal));
    }

    // The product's default price, unless a price was typed over the one filled in before.
    function fillPrice(select) {
        const price = $(select).closest('tr').find('input[name$="-unit_price"]');
        const filled = price.data('filled');
        if (!select.value || (price.val() !== '' && price.val() !== filled)) {
            return;
        }
        const url = select.dataset.defaultPricesUrl.replace('{id}', encodeURIComponent(select.value));
        fetch(url, {credentials: 'same-origin'})
            .then((answer) => answer.ok ? answer.json() : Promise.reject(answer.status))
            .then((prices) => {
                if (price.val() === '' || price.val() === filled) {
                    price.val(prices[select.dataset.side]).data('filled', prices[select.dataset.side]);
                    recompute();
                }
            })
            .catch(() => {});  // the price stays empty: the server fills in the default on save
    }

    // Opening the last line's picker adds a line below, ready for the next product.
    function keepARowFree() {
        if (rows('lines').last().is($(this).closest('tr'))) {
            $('#lines-group .add-row a').trigger('click');
        }
    }

    // What the picker's search found, taken when the picker closes other than by a choice.
    function takeTypedSearch(event) {
        const select2 = $(this).data('select2');
        const args = (event.params && event.params.args) || {};
        const cancelled = args.originalEvent && args.originalEvent.key === 'Escape';
        if (!select2 || args.originalSelect2Event || cancelled || !select2.dropdown.$search.val()) {
            return;
        }
        const highlighted = select2.$results.find('.select2-results__option--highlighted')[0];
        const utils = $.fn.select2.amd.require('select2/utils');
        const data = highlighted && utils.GetData(highlighted, 'data');
        if (!data || data.id === undefined || data.loading || String(data.id) === this.value) {
            return;
        }
        if (!$(this).find('option').filter((_, option) => option.value === String(data.id)).length) {
            $(this).append(new Option(data.text, data.id));
        }
        $(this).val(String(data.id)).trigger('change');
    }

    $(document).on('select2:closing', 'select.admin-autocomplete', takeTypedSearch);
    $(document).on('select2:open', '#lines-group select[name$="-product"]', keepARowFree);
    $(document).on('change', '#lines-group select[name$="-product"]', function() {
        fillPrice(this);
    });
    // Only as the page is typed into: until then the amounts shown are the server's.
    $(document).on('input change', '#lines-group input, #tax_lines-group select', recompute);
    $(document).on('change', 'input[name$="-DELETE"]', recompute);
    document.addEventListener('formset:removed', recompute);
}
