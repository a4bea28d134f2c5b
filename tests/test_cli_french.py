"""Issue T §9: the command line speaks French, its own usage errors included.

Seen: argparse's usage errors and help were English (« the following arguments are
required », « invalid choice », « usage: », « show this help message and exit »).
"""

from __future__ import annotations

import re

import pytest

from app.cli import main

ENGLISH = re.compile(
    r"\b(usage|error|required|invalid|choice|choose|unrecognized|expected|"
    r"show|help message|options:|positional|exit|value|following)\b"
)


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as ended:
        main(list(argv))
    assert ended.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    return err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ("billing", "run"),
            "propreo billing run : erreur : argument obligatoire manquant : --period",
        ),
        (("facturer",), "propreo : erreur : commande inconnue « facturer » (au choix : gui, init,"),
        (
            ("billing", "run", "--period", "2026-09", "--vite"),
            "propreo : erreur : option non reconnue : --vite",
        ),
        (
            ("init", "--contracts", "beaucoup"),
            "propreo init : erreur : --contracts : nombre entier attendu, pas « beaucoup »",
        ),
        (("backup", "--out"), "propreo backup : erreur : --out : une valeur attendue"),
    ],
)
def test_usage_errors_are_french(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], said: str
) -> None:
    err = _usage_error(capsys, *argv)
    lines = err.strip().splitlines()
    assert lines[0].startswith("utilisation : propreo")
    assert said in lines[-1], err
    assert not ENGLISH.search(err.replace("--", " ")), err


def test_help_is_french(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["billing", "run", "--help"]):
        with pytest.raises(SystemExit) as ended:
            main(argv)
        assert ended.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("utilisation : propreo")
        assert "afficher cette aide et quitter" in out
        assert "usage:" not in out and "show this help" not in out and "options:" not in out
    main_help = _help(capsys, "--help")
    assert "afficher le numéro de version et quitter" in main_help
    assert "commandes :" in main_help


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit):
        main(list(argv))
    return capsys.readouterr().out
