"""Command line: documents export / send, accounting fec."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.cli import main
from app.db import Database
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice
from reports.facturx import extract_xml
from tests.documents_samples import issue_samples
from tests.pg import target_of
from tests.test_email import Inbox, free_port


def test_export_send_and_fec(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
        client = session.get(Client, session.get(Invoice, ids["company"]).client_id)
        client.sending_mode = "email"
        client.invoice_email = "compta@client.example"
        numbers = {session.get(Invoice, i).number for i in ids.values()}
        mine = {
            session.get(Invoice, i).number
            for i in ids.values()
            if session.get(Invoice, i).client_id == client.id
        }
        siren = session.get(CompanySettings, 1).siren
    db_path = target_of(demo_db)
    demo_db.dispose()
    out = tmp_path / "export"
    assert (
        main(["--db", db_path, "documents", "export", "--period", "2026-10", "--out", str(out)])
        == 0
    )
    exported = {p.stem for p in out.glob("*.pdf")}
    assert numbers <= exported
    for number in numbers:
        assert number.encode() in extract_xml((out / f"{number}.pdf").read_bytes())

    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        code = main(
            [
                "--db",
                db_path,
                "documents",
                "send",
                "--period",
                "2026-10",
                "--smtp",
                f"127.0.0.1:{port}",
            ]
        )
    finally:
        controller.stop()
    assert code == 0, capsys.readouterr().err
    received = {m.get_payload()[1].get_filename().removesuffix(".pdf") for _, m in handler.messages}
    assert mine <= received and received <= exported

    assert (
        main(
            [
                "--db",
                db_path,
                "accounting",
                "fec",
                "--year",
                "2026",
                "--out",
                str(tmp_path),
                "--sales-csv",
            ]
        )
        == 0
    )
    assert (tmp_path / f"{siren}FEC20261231.txt").exists()
    assert (tmp_path / "ventes-2026.csv").exists()
    assert (
        main(["--db", db_path, "documents", "export", "--period", "2026-13", "--out", str(out)])
        == 2
    )
    assert "AAAA-MM" in capsys.readouterr().err
