"""State machines declared as data (one table of transitions per document type).

Every change of a record's ``status`` goes through :meth:`Workflow.move`, which refuses a
transition the table does not hold (tests/test_state_machines.py checks that no code
assigns ``status`` by hand). The tables:

- quotes: ``app.quotes.transitions.WORKFLOW``; contracts: ``app.billing.contracts.CONTRACT_WORKFLOW``;
- liaison book entries: ``app.liaison.entries.WORKFLOW``;
- invoices: ``app.billing.states.INVOICE_WORKFLOW``;
- payments, SEPA batches, their lines and mandates: ``app.payments.states``;
- e-invoicing flows and received supplier invoices: ``app.einvoicing.states`` (their
  column is ``state``: those tables are built with ``attribute="state"``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import StateError


@dataclass(frozen=True)
class Workflow:
    name: str
    labels: dict[str, str]
    transitions: frozenset[tuple[str, str]]
    # The record's column the table governs (``status`` everywhere but e-invoicing).
    attribute: str = "status"

    def __post_init__(self) -> None:
        unknown = {s for pair in self.transitions for s in pair} - set(self.labels)
        if unknown:
            raise ValueError(f"{self.name}: states without a label {sorted(unknown)}")

    def allowed(self, current: str) -> list[str]:
        return sorted(b for a, b in self.transitions if a == current)

    def can(self, current: str, target: str) -> bool:
        return (current, target) in self.transitions

    def check(self, current: str, target: str, *, ref: str = "") -> None:
        if (current, target) not in self.transitions:
            raise StateError(
                "{doc} : passage de « {current} » à « {target} » impossible.",
                doc=f"{self.name} {ref}".strip(),
                current=self.labels.get(current, current),
                target=self.labels.get(target, target),
            )

    def move(self, record: object, target: str, *, ref: str = "") -> str:
        """Check then set the record's ``status`` (or ``attribute``); return the old one."""
        old = str(getattr(record, self.attribute))
        self.check(old, target, ref=ref)
        setattr(record, self.attribute, target)
        return old
