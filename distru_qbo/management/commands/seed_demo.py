from django.core.management.base import BaseCommand

from distru_qbo.demo import demo_seed


class Command(BaseCommand):
    help = "Create deterministic demo data for a cannabis distributor (safe to run again)."

    def handle(self, *args, **options):
        result = demo_seed()
        summary = ", ".join(f"{n} {label}" for label, n in result.created.items() if n)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Created: {summary or 'nothing new'}.")
        )
