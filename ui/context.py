"""What every tab and dialog receives: the database, the bus, the operation runner."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QWidget

from app.db import Database
from ui.operations import Bus, OperationRunner


@dataclass
class UiContext:
    db: Database
    bus: Bus
    runner: OperationRunner
    window: QWidget | None = None

    def run(self, parent: QWidget | None, title: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Run ``fn(session, progress)`` off the GUI thread (see OperationRunner.run)."""
        return self.runner.run(parent, title, fn, **kwargs)

    def query(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Quick read on the GUI thread for small lookups: ``fn(session, *args)``."""
        with self.db.read() as session:
            return fn(session, *args, **kwargs)

    def call(self, fn: Callable[..., Any], *args: Any, topic: str = "", **kwargs: Any) -> Any:
        """Quick write on the GUI thread (a form save): ``fn(session, *args)`` in one unit of
        work, then tell the views. Long work goes through :meth:`run` instead."""
        with self.db.write() as session:
            result = fn(session, *args, **kwargs)
        self.bus.changed.emit(topic)
        return result


class Tab(QWidget):
    """Base of the main window's tabs: refreshed when the bus says data changed."""

    title = ""
    help_chapter = ""
    topics: tuple[str, ...] = ()  # empty: refresh on every change

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        ctx.bus.changed.connect(self._on_changed)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Mark a tab ready once its most-derived ``__init__`` has finished, so that a
        change signalled while its widgets are still being built never reaches refresh()."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def wrapped(self: Tab, *args: Any, **kw: Any) -> None:
            init(self, *args, **kw)
            if type(self) is cls:
                self._ready = True

        cls.__init__ = wrapped  # type: ignore[method-assign]

    def _on_changed(self, topic: str) -> None:
        if not getattr(self, "_ready", False):
            return
        if not self.topics or not topic or topic in self.topics:
            self.refresh()

    def refresh(self) -> None:
        """Reload the tab's data (override)."""
