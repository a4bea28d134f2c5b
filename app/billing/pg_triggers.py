"""The immutability of issued documents enforced by PostgreSQL itself, as the SQLite
triggers of :data:`app.billing.issuing.TRIGGERS` do: any program writing to the base (a
SQL console, a script) is refused, with the same French messages."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

FUNCTIONS = {
    "propreo_issued_invoice_guard": """
        CREATE OR REPLACE FUNCTION propreo_issued_invoice_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status = 'issued' THEN
                IF TG_OP = 'UPDATE' THEN
                    RAISE EXCEPTION 'Document émis : modification interdite';
                END IF;
                RAISE EXCEPTION 'Document émis : suppression interdite';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
    "propreo_issued_line_guard": """
        CREATE OR REPLACE FUNCTION propreo_issued_line_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF (SELECT status FROM invoices WHERE id = NEW.invoice_id) = 'issued' THEN
                    RAISE EXCEPTION 'Document émis : ajout de ligne interdit';
                END IF;
                RETURN NEW;
            END IF;
            IF (SELECT status FROM invoices WHERE id = OLD.invoice_id) = 'issued' THEN
                IF TG_OP = 'UPDATE' THEN
                    RAISE EXCEPTION 'Ligne de document émis : modification interdite';
                END IF;
                RAISE EXCEPTION 'Ligne de document émis : suppression interdite';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
}

TRIGGERS = {
    "trg_invoices_issued": "BEFORE UPDATE OR DELETE ON invoices "
    "FOR EACH ROW EXECUTE FUNCTION propreo_issued_invoice_guard()",
    "trg_invoice_lines_issued": "BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines "
    "FOR EACH ROW EXECUTE FUNCTION propreo_issued_line_guard()",
}


def installed(session: Session) -> bool:
    names = set(session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    return set(TRIGGERS) <= names


def install(session: Session) -> None:
    """Create (or replace) the guard functions and triggers, inside the transaction."""
    if installed(session):
        return
    for ddl in FUNCTIONS.values():
        session.execute(text(ddl))
    for name, body in TRIGGERS.items():
        session.execute(text(f"CREATE OR REPLACE TRIGGER {name} {body}"))
