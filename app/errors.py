"""Typed errors carrying a French message for the user.

The UI shows ``str(error)``; it never composes business wording itself. Messages are
templates with named values so that a translation catalogue can be added later.
"""

from __future__ import annotations

from typing import Any

from app.i18n import _


class PropreoError(Exception):
    """Base of every error a user may see."""

    def __init__(self, message: str, /, **values: Any) -> None:
        # ``message`` is positional-only: a value named ``message`` (a server's answer…)
        # goes into the template's values instead of colliding with it.
        self.template = message
        self.values = values
        self.message = _(message).format(**values) if values else _(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ValidationError(PropreoError):
    """Bad input on one field; ``field`` is the label the user sees."""

    def __init__(self, field: str, message: str, /, **values: Any) -> None:
        self.field = field
        values.setdefault("field", field)
        super().__init__(message, **values)


class ConfirmationRequired(ValidationError):
    """A value allowed only when the user confirms it expressly (a CLI flag, a GUI question):
    the message says what would happen; the caller asks, then calls again with the option."""


class ValidationErrors(PropreoError):
    """Several field errors found at once (a form is checked as a whole)."""

    def __init__(self, errors: list[ValidationError]) -> None:
        self.errors = errors
        joined = "\n".join(str(e) for e in errors)
        super().__init__("{details}", details=joined)

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]


class NotFoundError(PropreoError):
    """A record named by the user does not exist."""


class StateError(PropreoError):
    """An illegal transition or an operation not allowed in the document's state."""


class NumberingError(PropreoError):
    """The numbering rules (chronology, continuity) refuse the operation."""


class PermissionDenied(PropreoError):
    """The current user's role does not allow the action."""


class DatabaseError(PropreoError):
    """The database file cannot be opened, is busy, or its schema is not usable."""


class NumbersWouldBeLost(DatabaseError):
    """The backup is older than numbers already given: restoring it would give them again."""

    def __init__(self, numbers: list[str]) -> None:
        self.numbers = numbers
        shown = ", ".join(numbers[:30]) + (
            f" … ({len(numbers)} en tout)" if len(numbers) > 30 else ""
        )
        super().__init__(
            "Cette sauvegarde est antérieure à des numéros déjà attribués : {numbers}. "
            "Les restaurer ferait redonner ces numéros à d'autres documents ; ne confirmez "
            "qu'en le sachant (ces documents sont perdus de la base).",
            numbers=shown,
        )


class OperationCancelled(PropreoError):
    """The user cancelled a long operation; nothing of the unfinished step was written."""

    def __init__(self) -> None:
        super().__init__("Opération annulée par l'utilisateur.")


class DocumentInvalid(PropreoError):
    """A generated document fails a legal or technical validation (Factur-X, FEC...)."""


class StorageError(PropreoError):
    """The disk refused a write: full, read-only media, no permission (app.storage)."""
