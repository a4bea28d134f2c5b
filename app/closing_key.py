"""Backing up and restoring the installation's closing key (issue T §6).

The key that signs the monthly closings lives outside the base (app.closings): a new
computer, a reinstalled system or a lost keyring would lose it, and ``check`` would then
report every closing as « signée par une autre clé ». ``propreo cloture cle --exporter``
writes it to a file encrypted with a passphrase (PKCS#8, scrypt and AES from
``cryptography``): a stolen copy of that file without the passphrase signs nothing.
``--importer`` installs it on the new computer (keyring, else the 0600 key file); an
installation that already holds another key keeps it unless the user replaces it knowingly.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import ConfirmationRequired, NotFoundError, StateError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PASSPHRASE = "Phrase de passe"
MIN_PASSPHRASE = 12


def key_id(key: Ed25519PrivateKey) -> str:
    """The key's public half in short (XXXX-XXXX-XXXX-XXXX), to compare two keys."""
    digest = hashlib.sha256(key.public_key().public_bytes_raw()).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def _checked(passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(PASSPHRASE, "{field} : {n} caractères au moins.", n=MIN_PASSPHRASE)
    return passphrase.encode()


def export_key(path: str | Path, passphrase: str) -> str:
    """Write the installation's key, encrypted with ``passphrase``, to ``path`` (0600).
    Returns the key's short identifier."""
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        PrivateFormat,
    )

    from app.closings import installation_key
    from app.storage import write_file

    secret = _checked(passphrase)
    key = installation_key()
    if key is None:
        raise StateError(
            "Cette installation n'a pas encore de clé de clôture : elle est créée à la "
            "première clôture d'un mois."
        )
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(secret))
    written = write_file(path, pem)
    os.chmod(written, 0o600)
    return key_id(key)


def _read(path: Path, secret: bytes) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError("Le fichier de clé « {path} » n'existe pas.", path=str(path)) from None
    try:
        key = load_pem_private_key(data, secret)
    except (ValueError, TypeError):
        raise ValidationError(
            PASSPHRASE,
            "{field} : elle ne correspond pas à « {path} », ou ce fichier n'est pas une clé "
            "de clôture Propreo.",
            path=str(path),
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError(
            PASSPHRASE, "« {path} » n'est pas une clé de clôture Propreo.", path=str(path)
        )
    return key


def import_key(path: str | Path, passphrase: str, *, replace: bool = False) -> tuple[str, bool]:
    """Install the key of the file on this installation. Returns its identifier and whether
    anything changed (False: this installation already held it). Another key already here
    is kept unless ``replace`` (:class:`ConfirmationRequired` says what would happen)."""
    from app.closings import installation_key, save_key

    key = _read(Path(path), _checked(passphrase))
    current = installation_key()
    if current is not None and key_id(current) == key_id(key):
        return key_id(key), False
    if current is not None and not replace:
        raise ConfirmationRequired(
            "Clé de clôture",
            "Cette installation a déjà une autre clé de clôture ({current}) : la remplacer par "
            "{new} ? Les clôtures signées par l'ancienne seront alors signalées par « check » "
            "(exportez-la d'abord). Confirmez avec --remplacer.",
            current=key_id(current),
            new=key_id(key),
        )
    save_key(key.private_bytes_raw().hex())
    return key_id(key), True
