"""The command line's parser in French: usage, help and argparse's own usage errors
(« argument obligatoire manquant », « commande inconnue »…), exit code 2 as argparse.

argparse builds every sub-command's parser with the class of its parent, so the whole
tree speaks French once the top parser is a :class:`FrenchParser`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from app.fs import default_db_path


class FrenchHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        # French puts a space before the colon argparse adds after a section title.
        super().start_section(f"{heading} " if heading else heading)


class FrenchParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", FrenchHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help="afficher cette aide et quitter",
            )

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {french(message)}\n")


def _unquoted(items: str) -> str:
    return ", ".join(i.strip().strip("'") for i in items.split(","))


def _plural(singular: str, plural: str, items: str) -> str:
    return (plural if "," in items or " " in items.strip() else singular) + " : " + items


_WHOLE: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^the following arguments are required: (.*)$"),
        lambda m: _plural(
            "argument obligatoire manquant", "arguments obligatoires manquants", m[1]
        ),
    ),
    (
        re.compile(r"^unrecognized arguments: (.*)$"),
        lambda m: _plural("option non reconnue", "options non reconnues", m[1]),
    ),
    (
        re.compile(r"^one of the arguments (.*) is required$"),
        lambda m: f"l'un de ces arguments est obligatoire : {m[1]}",
    ),
    (
        re.compile(r"^ambiguous option: (\S+) could match (.*)$"),
        lambda m: f"option ambiguë {m[1]} (possibles : {m[2]})",
    ),
]

_INNER: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^invalid choice: '?(.*?)'? \(choose from (.*)\)$"),
        lambda m: f"« {m[1]} » non prévu (au choix : {_unquoted(m[2])})",
    ),
    (
        re.compile(r"^invalid int value: '(.*)'$"),
        lambda m: f"nombre entier attendu, pas « {m[1]} »",
    ),
    (re.compile(r"^invalid float value: '(.*)'$"), lambda m: f"nombre attendu, pas « {m[1]} »"),
    (re.compile(r"^invalid \S+ value: '(.*)'$"), lambda m: f"valeur invalide « {m[1]} »"),
    (re.compile(r"^expected one argument$"), lambda m: "une valeur attendue"),
    (re.compile(r"^expected at most one argument$"), lambda m: "une valeur au plus"),
    (re.compile(r"^expected at least one argument$"), lambda m: "au moins une valeur attendue"),
    (re.compile(r"^expected (\d+) arguments?$"), lambda m: f"{m[1]} valeur(s) attendue(s)"),
    (re.compile(r"^not allowed with argument (.*)$"), lambda m: f"incompatible avec {m[1]}"),
    (
        re.compile(r"^ignored explicit argument '(.*)'$"),
        lambda m: f"pas de valeur attendue (« {m[1]} » en trop)",
    ),
]

_ARGUMENT = re.compile(r"^argument (.+?): (.*)$")


def french(message: str) -> str:
    """argparse's English usage error in French; our own messages (French already, from
    ``ArgumentTypeError``) pass unchanged."""
    for pattern, say in _WHOLE:
        if m := pattern.match(message):
            return say(m)
    m = _ARGUMENT.match(message)
    if m is None:
        return message
    name, inner = m[1], m[2]
    for pattern, say in _INNER:
        if found := pattern.match(inner):
            said = say(found)
            if name == "commande" and said.startswith("« "):
                return "commande inconnue " + said.replace(" non prévu ", " ", 1)
            return f"{name} : {said}"
    return f"{name} : {inner}"


def db_target(args: argparse.Namespace) -> str:
    """The base a command works on: ``--db``, else ``PROPREO_DB``, else the default file."""
    return args.db or os.environ.get("PROPREO_DB") or str(default_db_path())
