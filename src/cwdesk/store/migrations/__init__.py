"""Alembic migrations of the app's database, shipped inside the package (``store.schema`` runs them)."""
