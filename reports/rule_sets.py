"""Which rule sets a document must pass, by category of buyer (docs/DOMAIN.md, « Rule sets
by buyer »), and the mandatory mentions checked on every document.

The French CTC rules (BR-FR, the e-invoicing reform's flux 2) apply to invoices between
taxable persons established in France: a French company or syndic identified by its
SIREN. The other buyers are out of that exchange (private persons and copropriétés: B2C
e-reporting; foreign buyers: international e-reporting; public bodies: Chorus Pro) and
get the European standard (XSD + EN 16931) and the mentions French law requires of every
invoice (CGI art. 242 nonies A, C. com. L441-9).
"""

from __future__ import annotations

from reports.invoice_model import InvoiceDocument, Party

DOMESTIC_B2B = "domestic_b2b"
PUBLIC = "public"
PRIVATE = "private"
FOREIGN = "foreign"

CATEGORY_LABELS = {
    DOMESTIC_B2B: "entreprise française (SIREN)",
    PUBLIC: "personne publique (Chorus Pro)",
    PRIVATE: "particulier ou copropriété",
    FOREIGN: "client étranger",
}

EN16931 = "EN 16931"
BR_FR = "BR-FR"
# The schematrons each category passes (the XSD and the mentions: every category).
SCHEMATRONS_BY_CATEGORY = {
    DOMESTIC_B2B: (EN16931, BR_FR),
    PUBLIC: (EN16931,),
    PRIVATE: (EN16931,),
    FOREIGN: (EN16931,),
}


def buyer_category(buyer: Party) -> str:
    """The buyer's category (see the module docstring)."""
    if (buyer.address.country or "FR") != "FR":
        return FOREIGN
    if buyer.public_body:
        return PUBLIC
    if buyer.professional:
        # A French professional without SIREN is refused before numbering
        # (app.billing.issuing.legal_problems): it is a B2B buyer all the same.
        return DOMESTIC_B2B
    return PRIVATE


def schematrons_for(doc: InvoiceDocument) -> tuple[str, ...]:
    return SCHEMATRONS_BY_CATEGORY[buyer_category(doc.buyer)]


def mention_problems(doc: InvoiceDocument) -> list[tuple[str, str]]:
    """(rule, French text) of each mandatory mention the document lacks."""
    problems: list[tuple[str, str]] = []
    seller, buyer = doc.seller, doc.buyer
    if not (seller.siren and seller.name and seller.address.city):
        problems.append(
            ("MENTION-VENDEUR", "Nom, adresse et SIREN de l'entreprise sont obligatoires.")
        )
    if not (buyer.name and buyer.address.street and buyer.address.city):
        problems.append(("MENTION-CLIENT", "Nom et adresse complète du client obligatoires."))
    if buyer_category(buyer) == DOMESTIC_B2B and not buyer.siren:
        problems.append(("MENTION-SIREN-CLIENT", "SIREN du client professionnel obligatoire."))
    if doc.is_credit_note and not doc.original_number:
        problems.append(
            (
                "MENTION-AVOIR-BT-25",
                "Un avoir doit citer la facture qu'il corrige (BT-25, art. 242 nonies A CGI).",
            )
        )
    if doc.is_credit_note and doc.original_number and doc.original_date is None:
        problems.append(("MENTION-AVOIR-BT-26", "Date de la facture corrigée manquante (BT-26)."))
    return problems
