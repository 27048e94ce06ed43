from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("", views.integrations_panel, name="panel"),
    path("quickbooks/", views.quickbooks_detail, name="quickbooks"),
    path("quickbooks/connect/", views.quickbooks_connect, name="connect"),
    path("quickbooks/callback/", views.quickbooks_callback, name="callback"),
    path("quickbooks/sync/", views.quickbooks_sync, name="sync"),
    path("quickbooks/disconnect/", views.quickbooks_disconnect, name="disconnect"),
    path("quickbooks/accounts/", views.key_accounts, name="key_accounts"),
    path("quickbooks/outbox/retry/", views.outbox_retry, name="outbox_retry"),
    path("quickbooks/reconciliation/", views.reconciliation, name="reconciliation"),
    path("quickbooks/backfill/", views.backfill, name="backfill"),
]
