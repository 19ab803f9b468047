"""The ticket list's search text (tickets.search): one upper-case text per ticket with its number, the
customer's name and phones, the serial number and the fault description, filled here for the tickets on
file and written by tickets.services from now on.

On PostgreSQL two GIN indexes serve it: a trigram index on the text for terms of three characters or more,
and an index of the text's two-character pieces (`tickets_bigrams`, an immutable SQL function) for
two-character terms such as 漏水 or 张伟, which have no trigram. The per-column trigram indexes of 0016 on
the ticket's number and fault description are dropped: the list no longer searches those columns."""

from django.db import migrations, models

BIGRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION tickets_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT piece), '{}')
    FROM (SELECT substr($1, i, 2) AS piece FROM generate_series(1, length($1) - 1) AS i) AS pieces
    WHERE piece !~ '\s'
$$
"""

# The same text as tickets.search.search_document, for every ticket at once.
BACKFILL = r"""
UPDATE tickets_repairticket AS t
SET search_text = trim(regexp_replace(upper(concat_ws(' ',
        nullif(t.number, ''),
        nullif(c.name, ''),
        (SELECT string_agg(p.number, ' ' ORDER BY p.id) FROM customers_customerphone AS p
         WHERE p.customer_id = t.customer_id),
        nullif(u.serial_number, ''),
        nullif(t.fault_description, '')
    )), '\s+', ' ', 'g'))
FROM customers_customer AS c, customers_unit AS u
WHERE c.id = t.customer_id AND u.id = t.unit_id
"""

FORWARD = [
    BIGRAMS_FUNCTION,
    BACKFILL,
    "CREATE INDEX IF NOT EXISTS tickets_search_trgm_idx ON tickets_repairticket"
    " USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS tickets_search_bigram_idx ON tickets_repairticket"
    " USING gin (tickets_bigrams(search_text))",
    # Estimates good enough to choose between the search index and the list's own order (docs/performance.md).
    "ALTER TABLE tickets_repairticket ALTER COLUMN search_text SET STATISTICS 1000",
    "DROP INDEX IF EXISTS tickets_number_trgm_idx",
    "DROP INDEX IF EXISTS tickets_fault_trgm_idx",
    "ANALYZE tickets_repairticket",
]
BACKWARD = [
    "DROP INDEX IF EXISTS tickets_search_bigram_idx",
    "DROP INDEX IF EXISTS tickets_search_trgm_idx",
    "DROP FUNCTION IF EXISTS tickets_bigrams(text)",
    'CREATE INDEX IF NOT EXISTS tickets_number_trgm_idx ON tickets_repairticket USING gin ((UPPER("number"::text)) gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS tickets_fault_trgm_idx ON tickets_repairticket USING gin ((UPPER("fault_description"::text)) gin_trgm_ops)',
]


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)
        return
    # Elsewhere (SQLite under `make run`: a few demo tickets) row by row, as tickets.search does it.
    RepairTicket = apps.get_model("tickets", "RepairTicket")
    for ticket in RepairTicket.objects.select_related("customer", "unit").iterator():
        phones = ticket.customer.phones.order_by("pk").values_list("number", flat=True)
        parts = [
            ticket.number,
            ticket.customer.name,
            *phones,
            ticket.unit.serial_number,
            ticket.fault_description,
        ]
        text = " ".join(" ".join(part for part in parts if part).upper().split())
        RepairTicket.objects.filter(pk=ticket.pk).update(search_text=text)


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    # The backfill and the index builds of a large table are not one transaction's work.
    atomic = False

    dependencies = [
        ("tickets", "0022_appointment_window"),
        ("customers", "0004_role_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="repairticket",
            name="search_text",
            field=models.TextField(default="", editable=False, verbose_name="搜索文本"),
        ),
        migrations.RunPython(fill, unfill),
    ]
