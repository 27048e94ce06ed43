"""Settings → Taxes: map each tax to the QuickBooks account it posts to."""

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from integrations.permissions import can_manage_integration, require_manage_integration
from integrations.services.connection import connection_get
from sales.forms import TAX_ACCOUNT_TYPE, TaxAccountsForm


@staff_member_required
@require_http_methods(["GET", "POST"])
def tax_settings(request):
    can_manage = can_manage_integration(request.user)
    if request.method == "POST":
        require_manage_integration(request.user)
        form = TaxAccountsForm(request.POST)
        if form.is_valid():
            changed = form.save()
            if changed:
                names = ", ".join(tax.name for tax in changed)
                messages.success(
                    request,
                    f"Tax accounts saved ({names}). Documents use them from their next push.",
                )
            else:
                messages.info(request, "No tax account changed.")
            return redirect("sales:taxes")
        messages.error(request, "Please correct the errors below.")
    else:
        form = TaxAccountsForm()
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    context = {
        **admin.site.each_context(request),
        "title": "Taxes",
        "form": form,
        "connection": connection_get(),
        "can_manage": can_manage,
        "account_type": TAX_ACCOUNT_TYPE,
    }
    return render(request, "sales/taxes.html", context)
