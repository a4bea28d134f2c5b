"""State machines declared as data (one table of transitions per document type)."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import StateError


@dataclass(frozen=True)
class Workflow:
    name: str
    labels: dict[str, str]
    transitions: frozenset[tuple[str, str]]

    def allowed(self, current: str) -> list[str]:
        return sorted(b for a, b in self.transitions if a == current)

    def check(self, current: str, target: str) -> None:
        if (current, target) not in self.transitions:
            raise StateError(
                "{doc} : passage de « {current} » à « {target} » impossible.",
                doc=self.name,
                current=self.labels.get(current, current),
                target=self.labels.get(target, target),
            )
