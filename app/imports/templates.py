"""The blank templates shipped in ``resources/import/`` (one per kind, French headers)."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.errors import ValidationError
from app.imports.fields import KINDS
from app.imports.reader import os_reason
from app.resources import resource_path


def template_path(kind: str) -> Path:
    return resource_path("import", KINDS[kind].template)


def copy_templates(folder: str | Path) -> list[Path]:
    """Copy every template into ``folder`` (created); the copies, in kind order."""
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(template_path(k), target / KINDS[k].template)) for k in KINDS]
    except OSError as exc:
        raise ValidationError(
            "Dossier",
            "Les modèles ne peuvent pas être copiés dans « {path} » ({reason}).",
            path=str(target),
            reason=os_reason(exc),
        ) from None
