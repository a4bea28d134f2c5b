"""Progress reporting and cancellation for long use cases (no Qt here)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import OperationCancelled

ProgressCallback = Callable[[int, int, str], None]


@dataclass
class CancelToken:
    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise OperationCancelled()


@dataclass
class Progress:
    """What a use case receives: report progress, and stop cleanly when asked."""

    callback: ProgressCallback | None = None
    token: CancelToken = field(default_factory=CancelToken)

    def step(self, done: int, total: int, text: str = "") -> None:
        self.token.check()
        if self.callback:
            self.callback(done, total, text)


NO_PROGRESS = Progress()
