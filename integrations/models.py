"""The local mirror of QuickBooks Online: the connection, accounts, classes and items.

Models hold fields and rules of shape only; syncing lives in the services.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from distru_qbo.constraints import FieldUniqueConstraint
from integrations.crypto import UnreadableSecret
from integrations.fields import EncryptedTextField
from integrations.validators import qbo_name_validator

REFRESH_ACCOUNTS = "Refresh the accounts from QuickBooks (Key accounts)"


def unique_qbo_id(model: str, noun: str, fix: str) -> FieldUniqueConstraint:
    """One mirrored row per QBO id (rows made here wait without one), refused in words."""
    return FieldUniqueConstraint(
        fields=["qbo_id"],
        condition=~models.Q(qbo_id=""),
        name=f"{model}_unique_qbo_id",
        violation_error_message=(
            f"{fix} to set the mirror straight: another {noun} here already has this QuickBooks id."
        ),
        violation_field="qbo_id",
    )


class QboSyncable(models.Model):
    """Where a record keeps its QBO identity: the Id QBO gave it and the SyncToken last seen."""

    qbo_id = models.CharField("QuickBooks ID", max_length=32, blank=True, db_index=True)
    # QBO's version of the record, sent back with every update: bookkeeping, never on a page.
    sync_token = models.CharField("SyncToken", max_length=32, blank=True, editable=False)

    class Meta:
        abstract = True


class QboAccount(QboSyncable):
    """An account of the QBO chart of accounts, as last imported."""

    class AccountType(models.TextChoices):
        # Values, and the labels pages show, are spelled exactly as QBO spells AccountType
        # (Intuit's AccountTypeEnum, Finance.xsd, schema/README.md). Django would label a
        # member without one from its name, in title case: "Cost Of Goods Sold".
        BANK = "Bank"
        ACCOUNTS_RECEIVABLE = "Accounts Receivable"
        OTHER_CURRENT_ASSET = "Other Current Asset"
        FIXED_ASSET = "Fixed Asset"
        OTHER_ASSET = "Other Asset"
        ACCOUNTS_PAYABLE = "Accounts Payable"
        CREDIT_CARD = "Credit Card"
        OTHER_CURRENT_LIABILITY = "Other Current Liability"
        LONG_TERM_LIABILITY = "Long Term Liability"
        EQUITY = "Equity"
        INCOME = "Income"
        COST_OF_GOODS_SOLD = "Cost of Goods Sold", "Cost of Goods Sold"
        EXPENSE = "Expense"
        OTHER_INCOME = "Other Income"
        OTHER_EXPENSE = "Other Expense"

    class Classification(models.TextChoices):
        ASSET = "Asset"
        LIABILITY = "Liability"
        EQUITY = "Equity"
        REVENUE = "Revenue"
        EXPENSE = "Expense"

    name = models.CharField(max_length=100)
    fully_qualified_name = models.CharField(max_length=1000, blank=True)
    account_type = models.CharField(max_length=40, choices=AccountType.choices)
    account_sub_type = models.CharField(max_length=100, blank=True)
    classification = models.CharField(max_length=20, choices=Classification.choices, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "QuickBooks account"
        ordering = ["fully_qualified_name", "name"]
        constraints = [
            unique_qbo_id("qboaccount", "account", REFRESH_ACCOUNTS),
        ]

    def __str__(self):
        return f"{self.fully_qualified_name or self.name} ({self.account_type})"


class QboClass(QboSyncable):
    """A QBO Class. Read-only here: classes are created in QuickBooks."""

    name = models.CharField(max_length=100)
    fully_qualified_name = models.CharField(max_length=1000, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "QuickBooks class"
        verbose_name_plural = "QuickBooks classes"
        ordering = ["fully_qualified_name", "name"]
        constraints = [
            unique_qbo_id("qboclass", "class", REFRESH_ACCOUNTS),
        ]

    def __str__(self):
        return self.fully_qualified_name or self.name


class QboItem(QboSyncable):
    """A QBO item of type NonInventory or Service: imported from QBO, or made here and pushed."""

    class Type(models.TextChoices):
        NON_INVENTORY = "NonInventory", "Non-inventory"
        SERVICE = "Service", "Service"

    class Origin(models.TextChoices):
        QBO = "qbo", "Imported from QuickBooks"
        LOCAL = "local", "Made here"

    name = models.CharField(max_length=100, unique=True, validators=[qbo_name_validator])
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.NON_INVENTORY)
    description = models.TextField(max_length=4000, blank=True)
    sku = models.CharField("SKU", max_length=100, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    purchase_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    income_account = models.ForeignKey(
        QboAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="income_items"
    )
    expense_account = models.ForeignKey(
        QboAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="expense_items"
    )
    qbo_class = models.ForeignKey(
        QboClass,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name="class",
    )
    active = models.BooleanField(default=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.LOCAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "QuickBooks item"
        ordering = ["name"]
        constraints = [
            # QBO treats item names as unique regardless of case.
            FieldUniqueConstraint(
                Lower("name"),
                name="qboitem_unique_name_ci",
                violation_error_message=(
                    "Choose another name: QuickBooks already has an item of this name (names "
                    "are unique regardless of case)."
                ),
                violation_field="name",
            ),
            unique_qbo_id("qboitem", "item", "Press Sync now on the QuickBooks page"),
        ]

    def __str__(self):
        return self.name


class QboConnection(models.Model):
    """The one connection to a QBO company. Its primary key is always 1, so a second row fails."""

    SINGLETON_ID = 1

    class Environment(models.TextChoices):
        LOCAL = "local", "Local sandbox"
        SANDBOX = "sandbox", "Intuit sandbox"
        PRODUCTION = "production", "Production"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        EXPIRED = "expired", "Expired: reconnect to QuickBooks"
        DISCONNECTED = "disconnected", "Disconnected"

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    # QuickBooks calls the realm its "company ID".
    realm_id = models.CharField("company ID", max_length=32, blank=True)
    company_name = models.CharField(max_length=255, blank=True)
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.LOCAL
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    status_reason = models.TextField(
        blank=True,
        help_text="Why QuickBooks refused the connection, and what to do before reconnecting "
        "(empty when the sign-in simply expired).",
    )
    access_token = EncryptedTextField(blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True, editable=False)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)

    # PROTECT: the mirror keeps accounts QBO inactivates (they show as conflicts), so nothing
    # may silently empty a key account by deleting its row.
    default_income_account = models.ForeignKey(
        QboAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"account_type": QboAccount.AccountType.INCOME},
    )
    default_expense_account = models.ForeignKey(
        QboAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"account_type": QboAccount.AccountType.COST_OF_GOODS_SOLD},
    )
    sales_deposit_account = models.ForeignKey(
        QboAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"account_type": QboAccount.AccountType.BANK},
    )
    purchase_deposit_account = models.ForeignKey(
        QboAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"account_type": QboAccount.AccountType.BANK},
    )

    class_tracking_per_txn = models.BooleanField(
        "class per transaction",
        default=False,
        help_text="QuickBooks preferences: one class per transaction.",
    )
    class_tracking_per_line = models.BooleanField(
        "class per line",
        default=False,
        help_text="QuickBooks preferences: a class on each transaction line.",
    )
    # What sales tax and numbering pushes use (integrations/company_prefs.py); read with the
    # class tracking. Until they are read, pushes go as they always did: as to a US company
    # without sales tax that keeps the numbers it is sent.
    country = models.CharField(
        max_length=8, blank=True, help_text="The company's country in QuickBooks, such as US or CA."
    )
    sales_tax_enabled = models.BooleanField(
        default=False, help_text="QuickBooks preferences: sales tax is turned on."
    )
    automated_sales_tax = models.BooleanField(
        default=False,
        help_text="QuickBooks preferences: QuickBooks calculates sales tax itself.",
    )
    custom_txn_numbers = models.BooleanField(
        default=True,
        help_text="QuickBooks preferences: sales forms keep the numbers they are sent (custom "
        "transaction numbers); off, QuickBooks numbers them itself.",
    )

    items_full_synced_at = models.DateTimeField(
        "items last imported in full", null=True, blank=True
    )
    # The change pipeline (integrations/services/changes.py): QBO's time of the last CDC answer
    # taken in, for items, accounts, classes and pushed documents alike.
    changes_watermark = models.DateTimeField("changes read up to", null=True, blank=True)
    preferences_read_at = models.DateTimeField("preferences last read", null=True, blank=True)
    # One worker runs the pipeline at a time. A pass asked for meanwhile leaves its trigger in
    # `changes_pending`, and that worker runs once more instead of each asker running its own.
    changes_claimed_at = models.DateTimeField(null=True, blank=True)
    changes_pending = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "QuickBooks connection"
        constraints = [
            # On the row id alone, which no form edits: its sentence has no field to sit on.
            models.CheckConstraint(
                condition=models.Q(id=1),
                name="qboconnection_single_row",
                violation_error_message=(
                    "Connect or reconnect under Settings → Integrations → QuickBooks Online: "
                    "there is one QuickBooks connection, and this would add a second."
                ),
            ),
        ]
        permissions = [
            (
                "manage_qbo_integration",
                "Can connect, configure and retry the QuickBooks integration",
            ),
        ]

    def __str__(self):
        if self.company_name:
            return f"{self.company_name} ({self.get_status_display()})"
        return f"QuickBooks Online ({self.get_status_display()})"

    @property
    def tokens_unreadable(self) -> bool:
        """A stored token no key in QBO_TOKEN_KEYS decrypts: the key changed without a rotation."""
        return isinstance(self.access_token, UnreadableSecret) or isinstance(
            self.refresh_token, UnreadableSecret
        )


class SyncRun(models.Model):
    """One run of an import or sync from QBO: its progress while it runs, its outcome after."""

    class Kind(models.TextChoices):
        CONNECT = "connect", "Connect (accounts and classes)"
        ACCOUNTS = "accounts", "Accounts refresh"
        ITEMS_FULL = "items_full", "Full item import"
        CHANGES = "changes", "Changes from QuickBooks"
        # The two hourly passes the change pipeline replaced, named in the runs they left.
        ITEMS_CDC = "items_cdc", "Hourly item sync"
        TRANSACTIONS_CDC = "transactions_cdc", "Hourly check for edits made in QuickBooks"
        RECONCILE = "reconcile", "Reconciliation with QuickBooks"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        CONNECT = "connect", "Connect"
        HOURLY = "hourly", "Hourly schedule"
        SYNC_NOW = "sync_now", "Sync now"
        REFRESH_ACCOUNTS = "refresh_accounts", "Refresh accounts"
        PUSH = "push", "A push that met an item inactive in QuickBooks"
        COMMAND = "command", "manage.py command"
        RECONCILIATION = "reconciliation", "Compare with QuickBooks"
        WEBHOOK = "webhook", "QuickBooks webhook"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(
        "started by",
        max_length=20,
        choices=Trigger.choices,
        blank=True,
        help_text="Empty for the runs recorded before what started a run was kept.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    details = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "QuickBooks sync run"
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-started_at"]),
            models.Index(fields=["started_at"], name="syncrun_started_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class SyncBatch(models.Model):
    """Up to 30 outbox jobs sent to QBO as one batch request, stored before it is first sent.

    A retry after a timeout or a lost answer resends these very operations under the same
    `request_id`, so QBO replays its answer instead of writing twice. Its jobs belong to it
    until each has taken its item's answer; then it is deleted.
    """

    request_id = models.CharField(max_length=36, unique=True)
    # The BatchItemRequest as sent: each item's bId is its job's id.
    operations = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    # Set while a worker sends it: two workers never send one batch at once.
    sending_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "QuickBooks batch"

    def __str__(self):
        return f"Batch {self.request_id} ({len(self.operations)} operations)"


class SyncJob(models.Model):
    """The outbox: one row per record that must reach QBO, written with the record itself.

    `revision` counts the saves of the record; a run remembers the revision it pushed, so a save
    that lands while the push is in flight sends the job round again instead of being lost.
    """

    class Action(models.TextChoices):
        UPSERT = "upsert", "Create or update"
        DELETE = "delete", "Delete"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Synced"
        FAILED = "failed", "Failed"
        PAUSED = "paused", "Paused (reconnect to QuickBooks)"
        HELD = "held", "Held (its backfill is stopped)"

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    label = models.CharField(max_length=255, help_text="The record, as people know it.")
    qbo_entity = models.CharField("QuickBooks type", max_length=40)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.UPSERT)
    # Kept on the job so a delete can still reach QBO after the record is gone here.
    qbo_id = models.CharField("QuickBooks ID", max_length=32, blank=True)
    sync_token = models.CharField(max_length=32, blank=True)
    request_id = models.CharField(max_length=50)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    priority = models.PositiveSmallIntegerField(
        default=0, help_text="Lower runs first: names, then documents, then payments."
    )
    revision = models.PositiveIntegerField(default=1)
    claimed_revision = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=20, blank=True)
    warning = models.TextField(
        blank=True, help_text="Sent, but not quite as it stands here (e.g. a fallback item)."
    )
    # One-way sync: edits made in QBO are never pulled back, but they are shown, in words.
    remote_change = models.TextField(blank=True)
    remote_changed_at = models.DateTimeField(null=True, blank=True)
    # What the last push sent of the fields the product owns (`QboSyncAdapter.fingerprint`),
    # and what QBO held of them when an edit there was flagged: "keep QuickBooks' version"
    # makes that the new reference.
    sent_fingerprint = models.JSONField(default=dict, blank=True)
    remote_fingerprint = models.JSONField(default=dict, blank=True)
    # A job held up by a record it references (a payment by its invoice) names that record's
    # job, whose success wakes it at once instead of leaving it to the minute sweeper.
    waiting_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="waiters"
    )
    # The batch this job went out in, until its item's answer is taken: its next run resends
    # that batch, never the job on its own, since QBO may already have done what it asked.
    batch = models.ForeignKey(
        SyncBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "QuickBooks sync job"
        ordering = ["priority", "next_attempt_at", "id"]
        constraints = [
            FieldUniqueConstraint(
                fields=["content_type", "object_id"],
                name="syncjob_one_per_record",
                violation_error_message=(
                    "Retry this record's push on the QuickBooks page instead: a record has one "
                    "QuickBooks sync job, and it already has it."
                ),
                violation_field="object_id",
            ),
        ]
        indexes = [models.Index(fields=["status", "priority", "next_attempt_at"])]

    def __str__(self):
        return (
            f"{self.get_action_display()} {self.label} → QuickBooks {self.qbo_entity} "
            f"({self.status})"
        )


class Backfill(models.Model):
    """Documents QBO does not have yet, dated on or after `since`, queued for it in one go.

    Its jobs are the outbox's own; stopping holds those not yet sent (`SyncJob.Status.HELD`)
    and resuming makes them due again. What is done, failed or left is read from the jobs.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    since = models.DateField(help_text="Documents dated on or after this day are sent.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # When it last started or resumed: the rate it is measured at counts from here.
    running_since = models.DateTimeField(default=timezone.now)
    # What was queued, per QBO entity in the order it was queued: {"Customer": 3, ...}.
    queued = models.JSONField(default=dict, blank=True)
    jobs = models.ManyToManyField(SyncJob, related_name="backfills", blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Backfill since {self.since:%Y-%m-%d} ({self.get_state_display()})"


class SyncProblem(models.Model):
    """A sync problem the people who run the integration were emailed about, while it lasts.

    One row per problem: pushes failing with one fault code, or a connection that needs a
    reconnect. The row is the memory that they were told: it goes when the problem is over,
    so the next time it starts they are told again (integrations/services/problems.py).
    """

    class Kind(models.TextChoices):
        PUSH_FAILED = "push_failed", "Pushes failing"
        RECONNECT = "reconnect", "Reconnect needed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField(
        max_length=20,
        blank=True,
        help_text="QuickBooks' fault code (or ours) the pushes fail with.",
    )
    summary = models.TextField(help_text="The first failure, as the email tells it.")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            FieldUniqueConstraint(
                fields=["kind", "code"],
                name="syncproblem_one_per_kind_code",
                violation_error_message=(
                    "Leave this problem as it is: it is already open, and its people were told "
                    "once."
                ),
                violation_field="code",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}".strip()


class Reconciliation(models.Model):
    """A period's documents compared here and in QBO, by the run that read QBO's side.

    What was found is kept (per document type, then each document that differs), so the page
    shows it again without reading QBO again: reads are billed.
    """

    run = models.OneToOneField(SyncRun, on_delete=models.CASCADE, related_name="reconciliation")
    period_start = models.DateField()
    period_end = models.DateField()
    reads = models.PositiveIntegerField(default=0, help_text="Queries sent to QuickBooks.")
    # Per document type: {"entity", "label", "here_count", "here_total", "qbo_count", ...}.
    summary = models.JSONField(default=list, blank=True)
    # Each document that differs or is on one side only, with links to both sides.
    differences = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["period_start", "period_end"])]

    def __str__(self):
        return f"Reconciliation {self.period_start} – {self.period_end}"


class PushAttempt(models.Model):
    """One run of an outbox job, kept after the job has moved on: a record's push history.

    The runner writes it with one insert as it records the job's outcome; rows older than
    QBO_HISTORY_DAYS are pruned daily.
    """

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Synced"
        RETRYING = "retrying", "Failed; retried automatically"
        PAUSED = "paused", "Paused (reconnect to QuickBooks)"
        FAILED = "failed", "Failed"
        DROPPED = "dropped", "Dropped: deleted here before it reached QuickBooks"

    # SET_NULL: the history outlives a job dropped after its record was deleted here.
    job = models.ForeignKey(
        SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="push_attempts"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    label = models.CharField(max_length=255, help_text="The record, as people know it.")
    qbo_entity = models.CharField("QuickBooks type", max_length=40)
    action = models.CharField(max_length=10, choices=SyncJob.Action.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    error_code = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True, help_text="The error and what to do, or a warning.")
    request_id = models.CharField(
        "requestid",
        max_length=50,
        help_text="QuickBooks' reference of the write, for Intuit's support; a write sent again "
        "(the record changed in QuickBooks meanwhile, an item or class it refused) carries it "
        "with a suffix.",
    )
    intuit_tid = models.CharField(
        "intuit_tid",
        max_length=100,
        blank=True,
        help_text="QuickBooks' id of its answer, for Intuit's support.",
    )

    class Meta:
        verbose_name = "QuickBooks push attempt"
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-started_at"]),
            models.Index(fields=["started_at"], name="pushattempt_started_at"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.label} at {self.started_at:%Y-%m-%d %H:%M}"


class QboWebhookEvent(models.Model):
    """One change QuickBooks told us about by webhook, as its notification named it.

    Events carry ids only; the change pipeline's CDC read brings what changed. An event is
    taken by the run that read QBO after it arrived, so a burst of them costs one read.
    """

    event_id = models.CharField(
        max_length=255,
        unique=True,
        help_text="The CloudEvents id; for a legacy notification, one derived from its realm, "
        "entity, id, operation and time, so a repeat is recognised.",
    )
    realm_id = models.CharField("company ID", max_length=32)
    entity = models.CharField(
        "type", max_length=40, blank=True, help_text="QuickBooks' name, such as Item."
    )
    entity_id = models.CharField("QuickBooks ID", max_length=32, blank=True)
    operation = models.CharField(max_length=20, blank=True, help_text="created, updated, ...")
    occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="When QuickBooks says it was."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    # SET_NULL: the event outlives a run pruned before it (both go after QBO_HISTORY_DAYS).
    taken_by = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )

    class Meta:
        verbose_name = "QuickBooks webhook event"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["taken_at"], name="webhookevent_taken_at"),
            models.Index(fields=["received_at"], name="webhookevent_received_at"),
        ]

    def __str__(self):
        return f"{self.entity or 'QuickBooks'} {self.entity_id} {self.operation}".strip()
