"""The sync history: runs and push attempts are kept for QBO_HISTORY_DAYS, then pruned."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import PushAttempt, SyncRun

logger = logging.getLogger(__name__)


def sync_history_prune() -> dict[str, int]:
    """Delete the sync runs and push attempts older than QBO_HISTORY_DAYS; how many of each."""
    cutoff = timezone.now() - timedelta(days=settings.QBO_HISTORY_DAYS)
    pruned = {
        "runs": SyncRun.objects.filter(started_at__lt=cutoff).delete()[0],
        "attempts": PushAttempt.objects.filter(started_at__lt=cutoff).delete()[0],
    }
    logger.info("Sync history before %s pruned: %s", cutoff, pruned)
    return pruned
