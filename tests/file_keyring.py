"""A keyring backend kept in a JSON file, for tests only (never the user's keyring).

Configured explicitly: ``keyring.set_keyring(FileKeyring(path))`` in-process, and for a
command run as a subprocess ``PYTHON_KEYRING_BACKEND=tests.file_keyring.FileKeyring`` with
``PROPREO_TEST_KEYRING`` naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        if "PROPREO_TEST_KEYRING" not in os.environ:
            raise RuntimeError("test keyring not configured")  # never chosen by detection
        return 1

    def __init__(self, path: Path | str | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ.get("PROPREO_TEST_KEYRING", "/nonexistent"))

    def _load(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self.path.write_text(json.dumps(data))
