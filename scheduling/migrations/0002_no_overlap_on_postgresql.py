"""On PostgreSQL, the database itself forbids two live appointments of one
practitioner, room or device from overlapping (buffers included).

Exclusion constraints are PostgreSQL's; they are not in the model's Meta,
because SQLite would have to rebuild tables with them. On SQLite, bookings
are checked and written in one ``BEGIN IMMEDIATE`` transaction, which holds
the database's single write lock (settings: ``transaction_mode``), so two
bookings are never checked at the same time.
"""

from django.db import migrations

RESOURCES = ("practitioner", "room", "device")
LIVE = "('booked', 'checked_in', 'completed')"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for resource in RESOURCES:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT "
            f"appointment_no_{resource}_overlap EXCLUDE USING gist ("
            f"{resource}_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&"
            f") WHERE ({resource}_id IS NOT NULL AND status IN {LIVE})"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for resource in RESOURCES:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment "
            f"DROP CONSTRAINT IF EXISTS appointment_no_{resource}_overlap"
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
