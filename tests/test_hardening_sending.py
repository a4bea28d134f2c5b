"""Issue T §7: double sending.

Seen: ``documents send`` killed after 6 delivered messages had logged none, and the rerun
sent them again (46 messages for 20 invoices after three runs).
"""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import threading
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.db import Database
from models.documents import DocumentSending, SendStatus
from tests.pg import target_of
from tests.test_email import free_port

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-07"


class KillingInbox:
    """Accepts messages; at the ``kill_at``-th one it kills the sender (kill -9) after the
    message is received, before the sender can hear the answer."""

    def __init__(self, kill_at: int = 0) -> None:
        self.numbers: list[str] = []
        self.kill_at = kill_at
        self.pid = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        [attachment] = list(parsed.iter_attachments())
        with self.lock:
            self.numbers.append(attachment.get_filename().removesuffix(".pdf"))
            if self.kill_at and len(self.numbers) == self.kill_at and self.pid:
                os.kill(self.pid, signal.SIGKILL)
        return "250 OK"


def _send(db: str, server: str, inbox: KillingInbox, *extra: str) -> tuple[int, str]:
    command = [sys.executable, "-m", "app", "--db", db, "documents", "send"]
    child = subprocess.Popen(
        [*command, "--period", PERIOD, "--smtp", server, *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    inbox.pid = child.pid
    out, err = child.communicate(timeout=300)
    return child.returncode, out + err


def test_a_killed_sending_leaves_the_message_uncertain_and_never_resends(
    demo_db: Database,
) -> None:
    inbox = KillingInbox(kill_at=6)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        path = target_of(demo_db)
        demo_db.dispose()
        code, _text = _send(path, f"127.0.0.1:{port}", inbox)
        assert code == -signal.SIGKILL
        assert len(inbox.numbers) == 6
        with demo_db.read() as session:
            log = list(session.scalars(select(DocumentSending).order_by(DocumentSending.id)))
        # five logged as sent before the next one started, the sixth left « in progress »
        assert [r.status for r in log] == [SendStatus.SENT] * 5 + [SendStatus.IN_PROGRESS]
        assert [r.number for r in log] == inbox.numbers
        uncertain = log[-1].number

        inbox.kill_at = 0
        code, text = _send(path, f"127.0.0.1:{port}", inbox)
        assert code == 1  # the uncertain one is reported, not sent again
        assert f"INCERTAIN {uncertain} : l'envoi précédent a été interrompu" in text
        assert len(inbox.numbers) == 19 and len(set(inbox.numbers)) == 19

        code, text = _send(path, f"127.0.0.1:{port}", inbox)  # a third run sends nothing
        assert len(inbox.numbers) == 19
        assert "0 envoyé(s), 0 échec(s)." in text

        code, text = _send(path, f"127.0.0.1:{port}", inbox, "--resend")  # knowingly
        assert code == 0 and len(inbox.numbers) == 38
    finally:
        controller.stop()
