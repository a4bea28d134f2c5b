"""What the month-end run reads of the contracts: typed plain records, one per row.

:func:`app.billing.runs.load_contracts` fills them from four set-based queries (no ORM
objects for a 4,000-contract firm); :mod:`app.billing.run_build` plans and builds from
them; :func:`app.billing.contracts.contract_spec` reads them as it reads the ORM rows.
Each record's fields are columns of its table, in the order selected, except the lists
at the end (``lines``, ``versions``, ``suspensions``) the loader fills.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple


class RunVersion(NamedTuple):
    id: int
    line_id: int
    valid_from: dt.date
    description: str
    article_id: int | None
    quantity: Decimal
    unit_price: Decimal
    frequency: str
    term: str
    months: str
    one_off_date: dt.date | None
    start_date: dt.date | None
    end_date: dt.date | None
    annual_budget: Decimal | None
    removed: bool
    cancelled: bool


class RunLine(NamedTuple):
    id: int
    contract_id: int
    position: int
    site_id: int | None
    versions: list[RunVersion]


class RunSuspension(NamedTuple):
    contract_id: int
    line_id: int | None
    start_date: dt.date
    end_date: dt.date
    billed: bool
    cancelled_at: dt.datetime | None


class RunContract(NamedTuple):
    id: int
    code: str
    client_id: int
    site_id: int | None
    status: str
    start_date: dt.date
    end_date: dt.date | None
    tacit_renewal: bool
    prorata: str
    grouping: str
    purchase_order: str
    lines: list[RunLine]
    suspensions: list[RunSuspension]
