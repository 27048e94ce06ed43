"""The two hourly passes' watermarks become the change pipeline's one: the older of the two,
so neither the items nor the documents miss what the pass that lagged had not read yet."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.models import QboConnection

pytestmark = pytest.mark.django_db(transaction=True)
MIGRATION_SUFFIX = "_one_change_watermark"
ITEMS = datetime(2026, 11, 30, 9, tzinfo=UTC)
DOCUMENTS = datetime(2026, 11, 30, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("items", "documents", "kept"),
    [(ITEMS, DOCUMENTS, ITEMS), (DOCUMENTS, ITEMS, ITEMS), (None, DOCUMENTS, DOCUMENTS),
     (ITEMS, None, ITEMS), (None, None, None)],
)  # fmt: skip
def test_the_older_of_the_two_watermarks_is_kept(items, documents, kept):
    executor = MigrationExecutor(connection)
    (ours,) = [key for key in executor.loader.graph.nodes if key[1].endswith(MIGRATION_SUFFIX)]
    (before,) = [p.key for p in executor.loader.graph.node_map[ours].parents if p.key[0] == ours[0]]
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    old.get_model("integrations", "QboConnection").objects.create(
        id=1, items_cdc_watermark=items, transactions_cdc_watermark=documents
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert QboConnection.objects.get().changes_watermark == kept
