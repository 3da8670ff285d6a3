"""The database layer: SQLAlchemy 2 (async) tables and the engine. No Bot Framework here."""
