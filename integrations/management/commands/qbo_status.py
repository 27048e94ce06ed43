from django.core.management.base import BaseCommand
from django.utils import timezone

from integrations.models import SyncRun
from integrations.services.connection import connection_get
from integrations.services.key_accounts import KEY_ACCOUNT_SLOTS, key_account_conflicts


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z") if value else "—"


class Command(BaseCommand):
    help = "Show the QuickBooks connection, token expiries, key accounts and the last syncs."

    def handle(self, *args, **options):
        connection = connection_get()
        out = self.stdout
        out.write(f"Status:            {connection.get_status_display()}")
        realm = connection.realm_id or "—"
        out.write(f"Company:           {connection.company_name or '—'} (realm {realm})")
        out.write(f"Environment:       {connection.get_environment_display()}")
        out.write(f"Access token until:  {_when(connection.access_token_expires_at)}")
        out.write(f"Refresh token until: {_when(connection.refresh_token_expires_at)}")
        for slot in KEY_ACCOUNT_SLOTS:
            account = getattr(connection, slot.field)
            out.write(f"{slot.label + ':':19}{account or 'not chosen'}")
        for problem in key_account_conflicts(connection):
            out.write(self.style.WARNING(f"Conflict: {problem}"))
        out.write("Last syncs:")
        for run in SyncRun.objects.all()[:5]:
            out.write(
                f"  {_when(run.started_at)}  {run.get_kind_display():32} {run.status:10} "
                f"{run.processed} processed {run.message}"
            )
