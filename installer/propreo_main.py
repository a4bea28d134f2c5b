"""Entry point of the bundled executable (same as ``python -m app``)."""

import multiprocessing

from app.cli import run

if __name__ == "__main__":
    multiprocessing.freeze_support()
    run()
