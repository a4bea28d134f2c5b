"""Quotes and extra works (TC): cost builder, photos, technical sheets, follow-up,
planning, invoicing from the quote and the billing forecast."""
