"""Whether a page's optional sections have anything to show, in one statement.

A ticket's page ends with sections most tickets leave empty (fee quotes, claims, complaints) or fill
only after acceptance (the survey, the follow-up calls). Each was an ORM query of ~0.7 ms, most of it
building and compiling the query in Python, to return no rows; one `SELECT EXISTS (…), EXISTS (…)`
answers for all of them in ~0.2 ms, and only the sections with rows run their queries (issue #19).
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model


def rows_exist(value, *tables: tuple[type[Model], str]) -> tuple[bool, ...]:
    """For each (model, field) whether the model's table has a row whose field is `value`, in order.
    Routed as the ORM would route a read of the first model."""
    connection = connections[router.db_for_read(tables[0][0])]
    quote = connection.ops.quote_name
    checks = ", ".join(
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.get_field(field).column)} = %s)"
        for model, field in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {checks}", [value] * len(tables))
        return tuple(bool(found) for found in cursor.fetchone())
