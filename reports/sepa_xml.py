"""SEPA direct debit file (pain.008.001.02) from plain values, validated against the ISO XSD.

The XML is produced by ``sepaxml`` and then checked again here against the
``pain.008.001.02.xsd`` schema that ``sepaxml`` ships, so a file that leaves Propreo has
passed the ISO 20022 schema. Amounts are exact: ``Decimal`` euros become integer cents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from app.errors import DocumentInvalid
from app.money import round_money

SCHEMA = "pain.008.001.02"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str  # ICS


@dataclass(frozen=True)
class DebitLine:
    end_to_end_id: str  # the invoice number: comes back on the bank statement and rejects
    amount: Decimal
    debtor_name: str
    iban: str
    bic: str
    mandate_id: str  # RUM
    mandate_date: dt.date
    sequence: str  # FRST, RCUR, OOFF, FNAL
    description: str


def schema_path() -> Path:
    import sepaxml

    return Path(sepaxml.__file__).resolve().parent / "schemas" / f"{SCHEMA}.xsd"


def build_pain008(
    creditor: Creditor,
    message_id: str,
    collection_date: dt.date,
    lines: Sequence[DebitLine],
    *,
    scheme: str = "CORE",
) -> bytes:
    """One pain.008 message (one payment information block per sequence type)."""
    from lxml import etree
    from sepaxml import SepaDD

    if not lines:
        raise DocumentInvalid("Aucun prélèvement à inclure dans le fichier SEPA.")
    config = {
        "name": creditor.name,
        "IBAN": creditor.iban,
        "BIC": creditor.bic,
        "batch": True,
        "creditor_id": creditor.creditor_id,
        "currency": "EUR",
        "instrument": scheme,
    }
    sdd = SepaDD(config, schema=SCHEMA, clean=True)
    for line in lines:
        cents = round_money(line.amount) * 100
        if cents <= 0:
            raise DocumentInvalid(
                "Montant de prélèvement invalide pour {ref}.", ref=line.end_to_end_id
            )
        payment = {
            "name": line.debtor_name,
            "IBAN": line.iban,
            "amount": int(cents),
            "type": line.sequence,
            "collection_date": collection_date,
            "mandate_id": line.mandate_id,
            "mandate_date": line.mandate_date,
            "description": line.description,
            "endtoend_id": line.end_to_end_id[:35],
        }
        if line.bic:
            payment["BIC"] = line.bic
        sdd.add_payment(payment)
    raw = sdd.export(validate=False)
    # Our own, stable message id (the batch reference) instead of sepaxml's random one.
    root = etree.fromstring(raw)
    ns = {"p": NAMESPACE}
    msg = root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", ns)
    if msg is not None:
        msg.text = message_id[:35]
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_pain008(out)
    return out


def validate_pain008(xml: bytes) -> None:
    """Raise DocumentInvalid listing the XSD errors of a pain.008.001.02 document."""
    import xmlschema

    schema = xmlschema.XMLSchema(str(schema_path()))
    errors = [str(e.reason or e.message) for e in schema.iter_errors(xml.decode("utf-8"))]
    if errors:
        raise DocumentInvalid(
            "Le fichier SEPA ne respecte pas le schéma {schema} : {errors}",
            schema=SCHEMA,
            errors="; ".join(errors[:5]),
        )


def summary(xml: bytes) -> tuple[int, Decimal]:
    """(number of transactions, control sum) read back from the group header."""
    from lxml import etree

    root = etree.fromstring(xml)
    ns = {"p": NAMESPACE}
    count = int(root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) or 0)
    total = Decimal(root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) or 0)
    return count, total
