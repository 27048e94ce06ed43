import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from integrations.models import Backfill
from integrations.services.backfill import (
    BackfillError,
    BackfillProgress,
    backfill_current,
    backfill_estimate,
    backfill_preview,
    backfill_progress,
    backfill_resume,
    backfill_start,
    backfill_stop,
    duration_words,
)

BAR_WIDTH = 30


def since_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"Give --since as a date, YYYY-MM-DD, such as 2025-01-01: not {text!r}."
        ) from exc


def progress_line(progress: BackfillProgress) -> str:
    """One line of text: the bar, the counts and the time left."""
    filled = BAR_WIDTH * progress.percent // 100
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    line = (
        f"[{bar}] {progress.percent:3d}%  {progress.done} done · {progress.failed} failed · "
        f"{progress.left} left"
    )
    if progress.rate:
        line += f" · {progress.rate:.0f} a minute"
    if progress.remaining is not None:
        how = "" if progress.measured else " at QuickBooks' limits"
        line += f" · about {duration_words(progress.remaining)} to go{how}"
    return f"{line} · {progress.state}"


class Command(BaseCommand):
    help = (
        "Send QuickBooks every document dated on or after --since that it does not have yet, "
        "with the customers, vendors and items they need, and show the progress. The workers "
        "(manage.py qcluster) send them; Ctrl-C stops watching, --stop stops the backfill."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--since", type=str, help="The first day to send, YYYY-MM-DD.")
        what.add_argument("--stop", action="store_true", help="Hold what is not sent yet.")
        what.add_argument("--resume", action="store_true", help="Send what a stop held.")
        what.add_argument("--watch", action="store_true", help="Show the latest backfill.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="With --since: print what would be queued and how long it takes; queue nothing.",
        )
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between progress lines."
        )

    def handle(self, *args, since=None, stop=False, resume=False, watch=False, **options):
        if options["dry_run"] and since is None:
            raise CommandError("--dry-run goes with --since: give the first day to send.")
        if since is not None:
            since = since_date(since)
            if options["dry_run"]:
                return self.preview(since)
            backfill = self.start(since)
        else:
            backfill = backfill_current()
            if backfill is None:
                raise CommandError("No backfill was started: start one with --since YYYY-MM-DD.")
        if stop:
            held = backfill_stop(backfill=backfill)
            self.stdout.write(
                f"Stopped the backfill since {backfill.since}: {held} document(s) held, none "
                "lost. Resume it with --resume."
            )
            return
        if resume:
            released = backfill_resume(backfill=backfill)
            self.stdout.write(f"Resumed: {released} held document(s) are due again.")
        if backfill is not None:
            self.watch(backfill, options["interval"])

    def start(self, since: date) -> Backfill | None:
        try:
            backfill = backfill_start(since=since)
        except BackfillError as exc:
            raise CommandError(str(exc)) from exc
        if backfill is None:
            self.stdout.write(
                f"Nothing to queue: QuickBooks has, or the outbox already holds, every document "
                f"dated on or after {since}."
            )
            return None
        queued = ", ".join(f"{n} {entity}" for entity, n in backfill.queued.items())
        self.stdout.write(f"Queued for QuickBooks: {queued}.")
        return backfill

    def preview(self, since: date) -> None:
        plan = backfill_preview(since=since)
        self.stdout.write(f"Backfill since {since} (dry run: nothing is queued)")
        for entity, n in plan.counts.items():
            self.stdout.write(f"  {entity:<14}{n:>7}")
        self.stdout.write(f"  {'total':<14}{plan.total:>7}")
        estimate = backfill_estimate(jobs=plan.total, lookups=plan.lookups)
        self.stdout.write(
            f"Estimated at QuickBooks' limits ({estimate.requests} requests: one per document, "
            f"and one more for each of the {plan.lookups} names looked up before it is made):"
        )
        self.stdout.write(
            f"  one request each, {estimate.per_minute} a minute: {duration_words(estimate.single)}"
        )
        self.stdout.write(
            f"  in batches of {estimate.batch_size}, {estimate.batches_per_minute} batches a "
            f"minute: {duration_words(estimate.batched)}"
        )

    def watch(self, backfill: Backfill, interval: float) -> None:
        """Print the progress until the backfill is done or stopped; on a terminal the line is
        redrawn in place, elsewhere (a log, a pipe) a line is written whenever it changes."""
        on_terminal = self.stdout.isatty()
        last = ""
        try:
            while True:
                backfill.refresh_from_db()
                progress = backfill_progress(backfill)
                line = progress_line(progress)
                if on_terminal:
                    self.stdout.write(f"\r{line}", ending="")
                elif line != last:
                    self.stdout.write(line)
                last = line
                if progress.finished or backfill.state == Backfill.State.STOPPED:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("")
            self.stdout.write("Stopped watching; the workers go on. Stop it with --stop.")
            return
        if on_terminal:
            self.stdout.write("")
        if progress.finished and progress.failed:
            self.stdout.write(
                self.style.WARNING(
                    f"{progress.failed} document(s) failed: the QuickBooks page lists them, "
                    "with what to do, and Retry."
                )
            )
        elif backfill.state == Backfill.State.STOPPED and not progress.finished:
            self.stdout.write("Stopped. Resume it with --resume.")
