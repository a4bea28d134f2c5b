"""SQLAlchemy tables. Importing this package registers every table on ``Base.metadata``.

Each aggregate lives in its own module; add new modules to the import list below.
"""

from models import audit, billing, catalog, clients, company, contracts, costs, documents, invoices, liaison, payments, quotes, revisions, schedules, users  # noqa: F401
from models.base import Base

__all__ = ["Base"]
