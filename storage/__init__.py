"""Persistence for linli: SQLModel tables, migrations and data-access functions."""
