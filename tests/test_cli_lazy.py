"""The command line imports only what the command it runs needs, and parses the same."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli

ROOT = Path(__file__).resolve().parent.parent


def _tree(parser: argparse.ArgumentParser) -> dict[str, object]:
    """Every sub-command (recursively) with its option strings."""
    out: dict[str, object] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out[name] = _tree(sub)
        else:
            out["/".join(action.option_strings) or action.dest] = action.nargs
    return out


def test_the_full_parser_has_every_module_and_the_owner_table_covers_them() -> None:
    full = _tree(cli.build_parser())
    owned = {m for owners in cli.COMMAND_OWNERS.values() for m in owners}
    assert owned <= set(cli.COMMAND_MODULES)
    assert set(cli.COMMAND_OWNERS) | cli.BUILTIN_COMMANDS <= set(full)
    # Every top-level command a module registers is in the table (so it stays lazy).
    assert set(full) - {"-h/--help", "--version", "--db", "command"} == (
        set(cli.COMMAND_OWNERS) | cli.BUILTIN_COMMANDS
    )


@pytest.mark.parametrize("word", sorted(cli.COMMAND_OWNERS))
def test_a_command_parser_built_lazily_is_the_full_one_for_that_command(word: str) -> None:
    full = _tree(cli.build_parser())[word]
    lazy = _tree(cli.build_parser(["--db", "x.db", word]))
    assert lazy[word] == full
    imported = set(cli.COMMAND_OWNERS[word])
    # Only the commands of the modules imported (documents/accounting share a module).
    assert set(lazy) - {"-h/--help", "--version", "--db", "command"} == (
        {w for w, owners in cli.COMMAND_OWNERS.items() if owners[0] in imported}
        | cli.BUILTIN_COMMANDS
    )


def test_command_word_skips_the_global_options() -> None:
    assert cli.command_word(["--db", "billing", "check"]) == "check"
    assert cli.command_word(["--db=f.db", "billing", "run"]) == "billing"
    assert cli.command_word(["--d", "f.db", "sepa"]) == "sepa"  # argparse abbreviation
    assert cli.command_word([]) is None
    assert cli.command_word(["--help"]) is None
    assert cli.command_modules(["--help"]) == cli.COMMAND_MODULES
    assert cli.command_modules(["inconnue"]) == cli.COMMAND_MODULES  # argparse says why
    assert cli.command_modules(["--db", "f.db", "billing", "run"]) == [
        "app.billing.cli",
        "app.control.cli",
    ]
    assert cli.command_modules(["--version"]) == []
    assert cli.command_modules(["--db", "f.db"]) == []  # the window


def test_a_module_missing_from_the_owner_table_is_always_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "app.nouveau.cli"])
    assert cli.command_modules(["check"]) == ["app.nouveau.cli"]
    assert cli.command_modules(["sepa", "export"]) == ["app.payments.cli", "app.nouveau.cli"]


def _modules_after(*args: str) -> set[str]:
    code = (
        "import sys\nfrom app.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_version_imports_no_command_module_nor_sqlalchemy() -> None:
    loaded = _modules_after("--version")
    assert not {m for m in loaded if m.startswith(("sqlalchemy", "alembic", "models"))}
    assert not set(cli.COMMAND_MODULES) & loaded


def test_a_billing_run_imports_only_the_billing_commands_and_no_alembic(
    demo_db_file: Path, tmp_path: Path
) -> None:
    import shutil

    db = shutil.copyfile(demo_db_file, tmp_path / "run.db")
    loaded = _modules_after("--db", str(db), "billing", "run", "--period", "2026-09")
    assert {"app.billing.cli", "app.control.cli"} <= loaded
    assert not (set(cli.COMMAND_MODULES) - {"app.billing.cli", "app.control.cli"}) & loaded
    assert not {m for m in loaded if m.startswith("alembic")}  # the file is at head


def test_python_m_app_version_stays_light() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "app", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().startswith("Propreo ")
    assert "sqlalchemy" not in done.stderr and "app.db" not in done.stderr


def test_a_command_leaves_its_database_closed_and_checkpointed(
    demo_db_file: Path, tmp_path: Path
) -> None:
    """The fast exit of ``python -m app`` closes the databases first: the WAL is folded
    into the file (no ``-wal`` left), so the file alone holds the run."""
    import json
    import shutil
    import sqlite3

    db = shutil.copyfile(demo_db_file, tmp_path / "run.db")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "--db",
            str(db),
            "billing",
            "run",
            "--period",
            "2026-09",
            "--validate",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    issued = json.loads(done.stdout)["issued"]
    assert issued > 0
    assert not (tmp_path / "run.db-wal").exists()
    copy = shutil.copyfile(db, tmp_path / "alone.db")  # the file alone, as a user copies it
    with sqlite3.connect(copy) as conn:
        count = conn.execute(
            "SELECT count(*) FROM invoices i JOIN billing_runs r ON r.id = i.run_id "
            "WHERE r.period = '2026-09' AND i.status = 'issued'"
        ).fetchone()[0]
    assert count == issued
