"""``python -m app``: the same entry point as the ``propreo`` command (:func:`app.cli.run`)."""

from app.cli import run

run()
