from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "distru-demo"  # noqa: S105 - printed to the developer; refused unless DEBUG


class Command(BaseCommand):
    help = "Create the demo superuser for local use. Refused unless DEBUG is on."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo superuser is only made when DJANGO_DEBUG is on.")
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_USERNAME).exists():
            user_model.objects.create_superuser(DEMO_USERNAME, "admin@example.com", DEMO_PASSWORD)
        self.stdout.write(f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}")
