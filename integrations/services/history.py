"""The sync history: runs, push attempts and webhook events are kept for QBO_HISTORY_DAYS."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import PushAttempt, QboWebhookEvent, SyncRun

logger = logging.getLogger(__name__)


def sync_history_prune() -> dict[str, int]:
    """Delete the sync runs, push attempts and webhook events older than QBO_HISTORY_DAYS; how
    many of each."""
    cutoff = timezone.now() - timedelta(days=settings.QBO_HISTORY_DAYS)
    pruned = {
        "runs": SyncRun.objects.filter(started_at__lt=cutoff).delete()[0],
        "attempts": PushAttempt.objects.filter(started_at__lt=cutoff).delete()[0],
        "webhook_events": QboWebhookEvent.objects.filter(received_at__lt=cutoff).delete()[0],
    }
    logger.info("Sync history before %s pruned: %s", cutoff, pruned)
    return pruned
