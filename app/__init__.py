"""Propreo use cases, business rules and command line (no Qt here)."""

__version__ = "0.1.0"
