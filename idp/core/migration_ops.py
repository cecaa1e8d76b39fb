"""Migration operations of the platform's own."""

from django.db import migrations


class AddIndexOnline(migrations.AddIndex):
    """On PostgreSQL CREATE INDEX CONCURRENTLY (in a migration with atomic = False): a table of a
    running platform may hold millions of rows — the audit log, the outboxes — and a plain CREATE
    INDEX would stop every write to it (each login's audit entry) while it builds. Elsewhere the
    plain AddIndex."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)
