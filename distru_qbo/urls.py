from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from integrations.views import quickbooks_webhook

admin.site.site_header = "Distru"
admin.site.site_title = "Distru"
admin.site.index_title = "Operations"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("settings/integrations/", include("integrations.urls")),
    path("settings/taxes/", include("sales.urls")),
    # Outside /settings/: Intuit calls it, signed, with no session.
    path("webhooks/quickbooks/", quickbooks_webhook, name="quickbooks_webhook"),
]
