"""Item results: stable IDs make retries overwrite; pages and outcome filters; errors stored redacted."""

from __future__ import annotations

import pytest

from shared.runs import ItemOutcome, ItemResult, Run, RunTables, list_items, record_items, start_or_reuse
from shared.storage import InvalidContinuationToken

TENANT = "tenant-items"


@pytest.fixture
def run(run_tables: RunTables) -> Run:
    return start_or_reuse(run_tables, TENANT, "tenant.backup", ["slot-1"], "user-a")[0]


def test_recording_the_same_item_again_updates_it(run_tables: RunTables, run: Run) -> None:
    item_id = "deviceConfigurations/abc?x#1"
    record_items(
        run_tables, run.run_id, [ItemResult(item_id, "deviceConfigurations", ItemOutcome.FAILED, error="503")]
    )
    record_items(
        run_tables,
        run.run_id,
        [
            ItemResult(
                item_id, "deviceConfigurations", ItemOutcome.SUCCEEDED, policy_id="abc", version_id="v1"
            )
        ],
    )
    page = list_items(run_tables, run)
    assert len(page.items) == 1
    item = page.items[0]
    assert (item.item_id, item.outcome, item.version_id, item.error) == (
        item_id,
        ItemOutcome.SUCCEEDED,
        "v1",
        None,
    )


def test_items_page_with_continuation_and_filter(run_tables: RunTables, run: Run) -> None:
    items = [
        ItemResult(
            f"i{n:03d}", "configurationPolicies", ItemOutcome.FAILED if n % 4 == 0 else ItemOutcome.SUCCEEDED
        )
        for n in range(25)
    ]
    record_items(run_tables, run.run_id, items)
    seen, token, pages = [], None, 0
    while True:
        page = list_items(run_tables, run, page_size=10, continuation=token)
        seen += [i.item_id for i in page.items]
        pages += 1
        token = page.continuation
        if token is None:
            break
    assert seen == [f"i{n:03d}" for n in range(25)]
    assert pages == 3
    failed = list_items(run_tables, run, outcome=ItemOutcome.FAILED, page_size=100)
    assert [i.item_id for i in failed.items] == [f"i{n:03d}" for n in range(0, 25, 4)]
    with pytest.raises(InvalidContinuationToken):
        list_items(run_tables, run, continuation="garbage")


def test_item_errors_are_redacted_before_storage(run_tables: RunTables, run: Run) -> None:
    sas = "https://acct.blob.core.windows.net/c/b?sv=2024-01-01&sig=SECRETSIGNATUREVALUE%3D"
    record_items(
        run_tables,
        run.run_id,
        [ItemResult("x", "deviceConfigurations", ItemOutcome.FAILED, error=f"upload to {sas} failed")],
    )
    raw = next(iter(run_tables.items.list_entities()))
    assert "SECRETSIGNATUREVALUE" not in raw["Error"]
    assert "upload to https://acct.blob.core.windows.net" in raw["Error"]


def test_items_of_one_run_do_not_show_in_another(run_tables: RunTables, run: Run) -> None:
    other = start_or_reuse(run_tables, TENANT, "tenant.backup", ["slot-2"], "user-a")[0]
    record_items(run_tables, run.run_id, [ItemResult("a", "t", ItemOutcome.SUCCEEDED)])
    assert list_items(run_tables, other).items == []
