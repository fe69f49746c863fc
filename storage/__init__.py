"""Storage: SQLAlchemy 2 models, the async engine and sessions, Alembic migrations."""
