"""SQLAlchemy tables. Importing this package registers every table on ``Base.metadata``.

Each aggregate lives in its own module; add new modules to the import list below.
"""

from models import (  # noqa: F401
    audit,
    billing,
    catalog,
    clients,
    closings,
    collections,
    company,
    contracts,
    costs,
    documents,
    einvoicing,
    invoices,
    liaison,
    payments,
    quotes,
    revisions,
    schedules,
    users,
)
from models.base import Base

__all__ = ["Base"]
