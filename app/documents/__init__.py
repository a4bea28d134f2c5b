"""Legal documents: Factur-X rendering, archive, printing, e-mail, statements, FEC."""
