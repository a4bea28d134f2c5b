"""Help: the user guide built from docs/guide/ (see guide_pdf)."""
