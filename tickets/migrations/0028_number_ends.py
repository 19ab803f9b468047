"""The ends of the numbers in a ticket's search text (tickets.search.number_ends), indexed on PostgreSQL:
a search for three to six digits (0042, a phone's 尾号) reads the tickets whose numbers end so from a GIN
index of `tickets_number_ends(branch_id, search_text)`, an immutable SQL function computing what the
Python does. Each end is there twice: alone (0042), for the lists of every branch, and with its branch
(2/0042), so that a branch's list reads its own matches from the index alone — with a second index for
the branch the planner adds a bitmap of the branch's 400,000 tickets (50 ms) and the result turns lossy
(the function computed again row by row; docs/performance.md). Built CONCURRENTLY: the ticket table is
written to all day. SQLite (development) has no index; the list matches with a regular expression."""

from django.db import migrations

# tickets.search.WORD_END as it stands for this function (a test compares the two on generated texts).
WORD_END = " ,.;:)/\uff0c\u3002\uff1b\uff1a\u3001\uff09-"

FUNCTION = rf"""
CREATE OR REPLACE FUNCTION tickets_number_ends(bigint, text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT key), '{{}}')
    FROM (
        SELECT right(run[1], n) AS tail
        FROM regexp_matches($2, '([0-9]+)(?=[{WORD_END}]|$)', 'g') AS run, generate_series(3, 6) AS n
        WHERE length(run[1]) >= n
    ) AS ends, LATERAL (VALUES (tail), ($1 || '/' || tail)) AS keys(key)
$$
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_number_ends_idx ON tickets_repairticket"
        " USING gin (tickets_number_ends(branch_id, search_text))"
    )
    # The index expression's statistics (how many tickets each end has) choose the list's plan.
    schema_editor.execute("ANALYZE tickets_repairticket")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS tickets_number_ends_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_number_ends(bigint, text)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("tickets", "0027_board_waiting_indexes")]

    operations = [migrations.RunPython(forward, backward)]
