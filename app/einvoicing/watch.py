"""Statuses as they come, while Propreo is open: by webhook when the platform can reach
this workstation, by periodic polling otherwise. The same object serves the window
(``ui/einvoicing_watch.py``: a Qt timer, work off the GUI thread) and ``propreo pa watch``
(a loop); neither knows how the statuses are read — :func:`sync.apply_flows` for what a
webhook announced, :func:`sync.sync` for a poll."""

from __future__ import annotations

import queue
from typing import Any

from app.db import Database
from app.einvoicing import webhooks
from app.einvoicing.sync import SyncReport, apply_flows, sync
from app.errors import PropreoError

POLL_MINUTES = 5
OFF, WEBHOOK, POLLING = "off", "webhook", "polling"


class Watch:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.mode = OFF
        self.reason = ""
        self.pending: queue.Queue[dict[str, Any]] = queue.Queue()
        self.listener: webhooks.Listener | None = None
        self.webhook_ids: list[str] = []
        self.on_flow: Any = None  # called on the listener's thread when a flow arrives

    def _sessions(self) -> tuple[Any, Any]:
        from app.einvoicing.actions import _chorus
        from app.einvoicing.settings import platform_session

        with self.database.read() as session:
            return platform_session(session), _chorus(session)

    def start(self) -> str:
        """Register the webhooks if the platform can call this workstation back, else
        poll; returns the mode. Nothing configured: ``off``."""
        from app.einvoicing.settings import read_settings

        with self.database.read() as session:
            base = read_settings(session).base_url
        if not base:
            self.mode = OFF
            return self.mode
        host = webhooks.callback_host(base)
        if host is None:
            return self._poll_instead(
                "la plateforme est sur internet et ne peut pas joindre ce poste"
            )
        listener = webhooks.Listener(host, self._arrived)
        try:
            platform, _chorus = self._sessions()
            self.webhook_ids = webhooks.register(platform, listener)
        except PropreoError as exc:
            listener.close()
            return self._poll_instead(str(exc))
        self.listener, self.mode, self.reason = listener, WEBHOOK, ""
        return self.mode

    def _poll_instead(self, reason: str) -> str:
        self.mode, self.reason = POLLING, reason
        return self.mode

    def _arrived(self, flow: dict[str, Any]) -> None:
        self.pending.put(flow)
        if self.on_flow is not None:
            self.on_flow()

    def receive(self) -> SyncReport:
        """Store the flows the webhooks announced since the last call."""
        flows = []
        while not self.pending.empty():
            flows.append(self.pending.get_nowait())
        if not flows:
            return SyncReport()
        platform, _chorus = self._sessions()
        return apply_flows(self.database, platform, flows)

    def poll(self) -> SyncReport:
        """A full synchronisation (the « Synchroniser les statuts » button's)."""
        platform, chorus = self._sessions()
        return sync(self.database, platform, chorus)

    def describe(self) -> str:
        if self.mode == WEBHOOK and self.listener is not None:
            return (
                "Statuts reçus en direct de la plateforme (webhook vers "
                f"{self.listener.url}) tant que Propreo est ouvert."
            )
        if self.mode == POLLING:
            return (
                f"Statuts interrogés toutes les {POLL_MINUTES} minutes tant que Propreo est "
                f"ouvert ({self.reason})."
            )
        return ""

    def close(self) -> None:
        """Remove the webhooks (best effort: the platform drops unanswered callbacks
        anyway) and stop listening."""
        if self.webhook_ids:
            try:
                platform, _chorus = self._sessions()
                platform.timeout = 3.0
                webhooks.unregister(platform, self.webhook_ids)
            except PropreoError:
                pass
            self.webhook_ids = []
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        self.mode = OFF
