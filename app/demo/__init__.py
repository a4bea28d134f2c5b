"""The demo firm: a deterministic, realistic French cleaning company.

Built by :func:`app.demo.build.load_demo`: each module of :data:`app.demo.build.STEPS` has
``load(session, ctx)``; steps run in order inside one write transaction and share objects
through ``ctx`` (a :class:`DemoContext`). Dates are fixed: the story (issued invoices,
payments) runs up to August 2026 included. Then :mod:`app.demo.alive` bills and settles the
months from September 2026 to the month before ``as_of`` (today by default), so that the demo
opened in any month shows last month billed and this month to bill; ``as_of`` = 1 September
2026 (what tests and benchmarks pin) gives the story alone.

This module holds only what every step shares (the dates, the context): it imports none of
the steps, so they can import it without a cycle.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

# The demo's "today" and the last month whose history is already billed and paid.
DEMO_TODAY = dt.date(2026, 9, 1)
HISTORY_END = dt.date(2026, 8, 31)


@dataclass
class DemoContext:
    contracts: int | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(20260901))
    objects: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.objects[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.objects[key] = value
