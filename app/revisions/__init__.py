"""Contract follow-up: index revisions, notices, renewals and the annual projection.

- :mod:`app.revisions.formula` — the pure revision coefficient (exact).
- :mod:`app.revisions.indices` — index series and values, CSV import.
- :mod:`app.revisions.clauses` — revision clauses of contracts.
- :mod:`app.revisions.runs` — revisions due at a date, apply → dated price version.
- :mod:`app.revisions.notices` — notice letters (DOCX/PDF) logged in the client history.
- :mod:`app.revisions.renewals` — tacit renewal, notice deadlines and alerts.
- :mod:`app.revisions.projection` — next 12 months revenue, labour cost and margin.
"""
