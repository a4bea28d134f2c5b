"""Where bundled files live, in a source checkout and in a PyInstaller bundle.

In a checkout, ``resources/`` and ``models/migrations`` sit beside the ``app`` package.
In a one-folder PyInstaller bundle everything is unpacked under ``sys._MEIPASS`` with the
same relative layout (see ``installer/propreo.spec``), so code must never build these
paths from ``__file__`` of a module that may live inside the bundle's archive: use
:func:`resource_path` and :func:`project_path` instead.
"""

from __future__ import annotations

import sys
from pathlib import Path


def is_bundled() -> bool:
    """True when running from a PyInstaller bundle (frozen executable)."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def project_root() -> Path:
    """The folder holding ``resources/`` and ``models/`` (checkout root or bundle dir)."""
    if is_bundled():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent.parent


def project_path(*parts: str) -> Path:
    """A path relative to the project root, e.g. ``project_path("models", "migrations")``."""
    return project_root().joinpath(*parts)


def resource_path(*parts: str) -> Path:
    """A file under ``resources/``, e.g. ``resource_path("fonts/DejaVuSans.ttf")``."""
    return project_root().joinpath("resources", *parts)
