"""One watermark for every change taken in from QBO, from the two the hourly passes kept.

The item sync and the changed-in-QuickBooks check each kept their own; the change pipeline
asks for everything since one. The older of the two is kept: from it, neither the items nor
the documents miss a change the pass that lagged had not read yet, and what the other pass
had read comes back once and is recognised (by its SyncToken) as already taken in.
"""

from django.db import migrations, models


def watermarks_merge(apps, schema_editor):
    QboConnection = apps.get_model("integrations", "QboConnection")
    for connection in QboConnection.objects.all():
        kept = [
            mark
            for mark in (connection.items_cdc_watermark, connection.transactions_cdc_watermark)
            if mark is not None
        ]
        connection.changes_watermark = min(kept, default=None)
        connection.save(update_fields=["changes_watermark"])


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0016_fingerprint_of_what_was_sent'),
    ]

    operations = [
        migrations.AddField(
            model_name='qboconnection',
            name='changes_claimed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='qboconnection',
            name='changes_pending',
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name='qboconnection',
            name='changes_watermark',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='qboconnection',
            name='preferences_read_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(watermarks_merge, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='qboconnection',
            name='items_cdc_watermark',
        ),
        migrations.RemoveField(
            model_name='qboconnection',
            name='transactions_cdc_watermark',
        ),
        migrations.AlterField(
            model_name='syncrun',
            name='kind',
            field=models.CharField(choices=[('connect', 'Connect (accounts and classes)'), ('accounts', 'Accounts refresh'), ('items_full', 'Full item import'), ('changes', 'Changes from QuickBooks'), ('items_cdc', 'Hourly item sync'), ('transactions_cdc', 'Hourly check for edits made in QuickBooks'), ('reconcile', 'Reconciliation with QuickBooks')], max_length=20),
        ),
    ]
