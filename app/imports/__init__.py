"""Switching from another software: import of the firm's existing files (issue P §2).

A file (.xlsx or .csv in any separator and encoding) is read into plain text cells
(:mod:`app.imports.reader`), its columns are matched to the fields of one kind of record
(:mod:`app.imports.fields`, remembered per file layout), every row is turned into the
form of the existing use case (clients, sites, contacts, articles, contracts, open items)
and written through it, so that the rules of the screens apply unchanged
(:mod:`app.imports.rows`, :mod:`app.imports.contracts`, :mod:`app.imports.open_items`).
:func:`app.imports.run.run_import` writes all the rows or none: a preview is the same run
rolled back, and lists every row's problems in French.
"""
