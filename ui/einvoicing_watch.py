"""The window's watch over the platform (``app.einvoicing.watch``): started when the main
window opens (and again when the settings change), stopped when it closes. Every network
call runs in a worker without a progress dialog; what arrives is stored by the use cases,
the views are told through the bus and the e-invoicing screen shows what the watch does —
never a modal box."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.einvoicing.watch import OFF, POLL_MINUTES, POLLING, WEBHOOK, Watch
from app.i18n import _, ngettext
from ui.context import UiContext


class StatusWatcher(QObject):
    changed = Signal(str)  # the text the e-invoicing screen shows
    _arrived = Signal()  # emitted on the listener's thread, delivered on the GUI thread

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.watch = Watch(ctx.db)
        self.watch.on_flow = self._arrived.emit
        self._arrived.connect(self.receive)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MINUTES * 60_000)
        self.timer.timeout.connect(self.poll)
        self.busy = False
        self.again = False  # flows arrived while a reading was running
        self.text = ""
        self.last = ""

    # --- life ---------------------------------------------------------------------------
    def start(self) -> None:
        """Decide webhook or polling (registration is network work: in a worker), then
        catch up with what arrived while the window was closed."""
        self.stop()
        from app.einvoicing.settings import read_settings

        if not self.ctx.query(lambda session: read_settings(session).base_url):
            self._show()
            return  # no platform: nothing to watch (and no worker at start-up)
        self.busy = True

        def started(mode: Any) -> None:
            self.busy = False
            if mode == POLLING:
                self.timer.start()
            self._show()
            if mode != OFF:
                self.poll()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.last = _("Surveillance des statuts impossible : {error}").format(error=exc)
            self._show()

        self.ctx.run(
            None,
            "",
            lambda _session, _progress: self.watch.start(),
            write=False,
            show_progress=False,
            on_done=started,
            on_error=failed,
        )

    def stop(self) -> None:
        self.timer.stop()
        self.watch.close()

    @property
    def mode(self) -> str:
        return self.watch.mode

    # --- work ---------------------------------------------------------------------------
    def _run(self, fn: Any, what: str) -> None:
        if self.busy:
            self.again = True
            return
        self.busy = True

        def done(report: Any) -> None:
            self.busy = False
            n = len(report.statuses) + len(report.received)
            if n or what == "poll":
                now = dt.datetime.now().strftime("%H:%M:%S")
                self.last = ngettext(
                    "Dernière lecture à {time} : {n} nouveauté.",
                    "Dernière lecture à {time} : {n} nouveautés.",
                    n,
                ).format(time=now, n=n)
            if report.errors:
                self.last += " " + " ; ".join(report.errors)
            self.ctx.bus.changed.emit("einvoicing")
            self._show()
            if self.again:
                self.again = False
                self.receive()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.last = _("Dernière lecture en échec : {error}").format(error=exc)
            self._show()

        self.ctx.run(
            None,
            "",
            lambda _session, _progress: fn(),
            write=False,
            show_progress=False,
            on_done=done,
            on_error=failed,
        )

    def receive(self) -> None:
        """Flows announced by the webhooks: read and store them."""
        if self.watch.mode == WEBHOOK:
            self._run(self.watch.receive, "webhook")

    def poll(self) -> None:
        self._run(self.watch.poll, "poll")

    def _show(self) -> None:
        self.text = " ".join(t for t in (self.watch.describe(), self.last) if t)
        self.changed.emit(self.text)
