"""Backups, restore and ``propreo transfer`` on whichever engine the suite runs against,
and the demo firm moved from SQLite to PostgreSQL (with PROPREO_TEST_PG_URL)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.backups import verify_copy
from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.cli import main
from app.db import Database, open_database
from app.transfer import chain_head, row_counts
from models.invoices import Invoice, InvoiceStatus
from reports.facturx import extract_xml
from tests import billing_fixtures as bf
from tests.pg import target_of

SECRET = "s3cret-Mot-de-passe"


def _issued(db: Database) -> list[str]:
    with db.read() as s:
        return sorted(
            s.scalars(select(Invoice.number).where(Invoice.status == InvoiceStatus.ISSUED))
        )


def _bill(db: Database, period: str) -> None:
    with db.write() as s:
        run_month(s, period)
        issue_period(s, period)


def test_backup_is_verified_and_restore_brings_it_back(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s))
    _bill(db, "2026-02")
    target = target_of(db)
    assert main(["--db", target, "backup", "--out", str(tmp_path / "bk")]) == 0
    printed = capsys.readouterr().out
    assert "Sauvegarde vérifiée" in printed
    (backup,) = [p for p in (tmp_path / "bk").iterdir() if p.is_file()]
    assert verify_copy(backup) == []
    _bill(db, "2026-03")
    assert _issued(db) == ["FA2026-00001", "FA2026-00002"]
    db.dispose()
    restore = ["--db", target, "restore", "--from", str(backup), "--yes"]
    # the backup lacks FA2026-00002: refused unless that loss is accepted (both engines)
    assert main(restore) == 1
    assert "antérieure à des numéros déjà attribués : FA2026-00002." in capsys.readouterr().out
    kept = open_database(target)
    assert _issued(kept) == ["FA2026-00001", "FA2026-00002"]
    kept.dispose()
    assert main([*restore, "--lose-numbers"]) == 0
    assert "Base restaurée" in capsys.readouterr().out
    again = open_database(target)
    try:
        assert _issued(again) == ["FA2026-00001"]
        assert run_checks(again).ok
    finally:
        again.dispose()
    # A damaged backup is refused before anything is replaced.
    broken = tmp_path / ("broken" + backup.suffix)
    broken.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    assert verify_copy(broken) != []
    assert main(["--db", target, "restore", "--from", str(broken), "--yes"]) == 1


@pytest.mark.pg_only
def test_no_message_shows_the_password_of_the_url(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db.engine.url.set(password=SECRET).render_as_string(hide_password=False)
    assert main(["--db", url, "init"]) == 0
    assert main(["--db", url, "backup", "--out", str(tmp_path)]) == 0
    (backup,) = tmp_path.glob("*.dump")
    assert main(["--db", url, "restore", "--from", str(tmp_path / "absent.dump"), "--yes"]) == 2
    assert main(["--db", url, "restore", "--from", str(backup), "--yes"]) == 0
    out, err = capsys.readouterr()
    assert "***" in out and SECRET not in out + err
    # A base the server does not have: one French sentence, no traceback, no password.
    absent = db.engine.url.set(password=SECRET, database="propreo_absente")
    assert main(["--db", absent.render_as_string(hide_password=False), "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : la base de données a refusé") and "propreo_absente" in err
    assert SECRET not in err and "Traceback" not in err


def _fresh_pg(pg_templates, name: str) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with pg_templates.admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return pg_templates.url(name)


def _export(target: str, out: Path) -> dict[str, str]:
    assert (
        main(
            [
                "--db",
                target,
                "documents",
                "export",
                "--period",
                "2026-08",
                "--out",
                str(out / "pdf"),
            ]
        )
        == 0
    )
    assert (
        main(
            ["--db", target, "accounting", "fec", "--date", "2026-06-30", "--out", str(out / "fec")]
        )
        == 0
    )
    # A PDF rendered now carries the time it was made: the same document is the same
    # Factur-X data (every amount, number, date, party and line); the FEC byte for byte.
    return {
        str(p.relative_to(out)): hashlib.sha256(
            extract_xml(p.read_bytes()) if p.suffix == ".pdf" else p.read_bytes()
        ).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.mark.pg_only
@pytest.mark.slow
def test_demo_firm_moved_to_postgresql_exports_the_same_documents_and_fec(
    demo_db_file: Path,
    pg_templates,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    source = tmp_path / "demo.db"
    shutil.copyfile(demo_db_file, source)
    if demo_db_file.with_name("demo.db.files").exists():
        shutil.copytree(demo_db_file.with_name("demo.db.files"), tmp_path / "demo.db.files")
    url = _fresh_pg(pg_templates, f"{pg_templates.prefix}_moved")
    args = ["--db", str(source), "transfer", "--to", url, "--files", str(tmp_path / "pgfiles")]
    assert main([*args, "--yes"]) == 0
    printed = capsys.readouterr().out
    assert "Vérifié" in printed and "PROPREO_DB" in printed
    sqlite_db, pg_db = open_database(source), open_database(url)
    try:
        moved, kept = row_counts(pg_db), row_counts(sqlite_db)
        assert (moved.pop("file_store"), kept.pop("file_store")) == (1, 0)  # its own folder
        assert moved == kept
        assert chain_head(pg_db) == chain_head(sqlite_db) != ""
        assert run_checks(pg_db).ok
        with pg_db.write() as s:  # the sequences follow the copied ids
            last = s.scalar(select(func.max(Invoice.id)))
            assert s.scalar(select(func.nextval("invoices_id_seq"))) == last + 1
    finally:
        sqlite_db.dispose()
        pg_db.dispose()
    assert _export(url, tmp_path / "from-pg") == _export(str(source), tmp_path / "from-sqlite")
    # A second transfer onto the same (no longer empty) base is refused, nothing merged.
    assert main([*args, "--yes"]) == 2
    assert "n'est pas vide" in capsys.readouterr().err
    # And back: PostgreSQL → one SQLite file, verified the same way.
    back = tmp_path / "back.db"
    assert main(["--db", url, "transfer", "--to", str(back), "--yes"]) == 0
    assert _export(str(back), tmp_path / "from-back") == _export(url, tmp_path / "from-pg2")
    pg_templates._execute(f'DROP DATABASE IF EXISTS "{pg_templates.prefix}_moved" WITH (FORCE)')
