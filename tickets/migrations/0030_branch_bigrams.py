"""The two-character pieces of a ticket's search text indexed within its branch (issue #16), as the
numbers' ends are (0028): each piece is kept alone (漏水), for the lists of every branch, and with its
branch (3/漏水), so that a branch's list reads only its own matches. A two-character term (张伟, 漏水: no
trigram) found ~3,000 tickets in 0023's index and read each from the table to drop the other branches'
three in four: 10–13 ms for a name at 1,000,000 tickets, 3–4 ms from this index (docs/performance.md).
It replaces 0023's index of the pieces alone. Built CONCURRENTLY: the ticket table is written to all
day. SQLite (development) has no index."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION tickets_branch_bigrams(bigint, text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(key), '{}')
    FROM (SELECT DISTINCT substr($2, i, 2) AS piece FROM generate_series(1, length($2) - 1) AS i) AS pieces,
         LATERAL (VALUES (piece), ($1 || '/' || piece)) AS keys(key)
    WHERE piece !~ '\s'
$$
"""

# 0023's function and index, as they were (backward).
OLD_FUNCTION = r"""
CREATE OR REPLACE FUNCTION tickets_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT piece), '{}')
    FROM (SELECT substr($1, i, 2) AS piece FROM generate_series(1, length($1) - 1) AS i) AS pieces
    WHERE piece !~ '\s'
$$
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_search_branch_bigram_idx ON tickets_repairticket"
        " USING gin (tickets_branch_bigrams(branch_id, search_text))"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS tickets_search_bigram_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_bigrams(text)")
    # The index expression's statistics (how many tickets each piece has) choose the list's plan.
    schema_editor.execute("ANALYZE tickets_repairticket")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(OLD_FUNCTION)
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_search_bigram_idx ON tickets_repairticket"
        " USING gin (tickets_bigrams(search_text))"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS tickets_search_branch_bigram_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_branch_bigrams(bigint, text)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("tickets", "0029_branch_index_dropped")]

    operations = [migrations.RunPython(forward, backward)]
