"""What the AFNOR XP Z12-013 OpenAPI descriptions (Flow Service 1.2.0, Directory Service)
define and both sides of the interface check: enumerations, paths, and the checks of a
``FlowInfo`` (docs/EINVOICING.md lists what was verified and what is assumed)."""

from __future__ import annotations

import re
from typing import Any

FLOW_PREFIX = "/flow/v1"
DIRECTORY_PREFIX = "/directory/v1"
TOKEN_PATH = "/oauth/token"

FLOW_SYNTAXES = ("CII", "UBL", "Factur-X", "CDAR", "FRR")
FLOW_PROFILES = ("Basic", "CIUS", "Extended-CTC-FR")
PROCESSING_RULES = ("B2B", "B2BInt", "B2C", "OutOfScope", "ArchiveOnly", "NotApplicable")
FLOW_TYPES = (
    "CustomerInvoice",
    "SupplierInvoice",
    "StateInvoice",
    "CustomerInvoiceLC",
    "SupplierInvoiceLC",
    "StateCustomerInvoiceLC",
    "StateSupplierInvoiceLC",
    "AggregatedCustomerTransactionReport",
    "UnitaryCustomerTransactionReport",
    "AggregatedCustomerPaymentReport",
    "UnitaryCustomerPaymentReport",
    "UnitarySupplierTransactionReport",
    "MultiFlowReport",
)
FLOW_DIRECTIONS = ("In", "Out")
ACK_STATUSES = ("Pending", "Ok", "Error")
DOC_TYPES = ("Metadata", "Original", "Converted", "ReadableView")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,120}$")


def flow_info_problems(info: Any) -> list[str]:
    """What is wrong with a ``FlowInfo`` object (empty when it conforms)."""
    if not isinstance(info, dict):
        return ["flowInfo: un objet JSON est attendu"]
    known = {"trackingId", "name", "processingRule", "flowSyntax", "flowProfile", "sha256"}
    problems = [f"flowInfo: propriété inconnue « {k} »" for k in info if k not in known]
    if info.get("flowSyntax") not in FLOW_SYNTAXES:
        problems.append("flowInfo.flowSyntax: valeur absente ou hors énumération")
    checks = (
        ("processingRule", PROCESSING_RULES),
        ("flowProfile", FLOW_PROFILES),
    )
    for key, allowed in checks:
        if key in info and info[key] not in allowed:
            problems.append(f"flowInfo.{key}: « {info[key]} » hors énumération")
    if "sha256" in info and not (isinstance(info["sha256"], str) and _SHA256.match(info["sha256"])):
        problems.append("flowInfo.sha256: 64 caractères hexadécimaux attendus")
    if "trackingId" in info and not (
        isinstance(info["trackingId"], str) and _ID.match(info["trackingId"])
    ):
        problems.append("flowInfo.trackingId: identifiant invalide")
    if "name" in info and not isinstance(info["name"], str):
        problems.append("flowInfo.name: texte attendu")
    return problems


def search_problems(body: Any) -> list[str]:
    """What is wrong with a ``SearchFlowParams`` body (``where`` needs one criterion)."""
    if not isinstance(body, dict) or not isinstance(body.get("where"), dict):
        return ["where: objet de critères obligatoire"]
    where = body["where"]
    allowed = {
        "updatedAfter",
        "updatedBefore",
        "processingRule",
        "flowType",
        "flowDirection",
        "trackingId",
        "ackStatus",
    }
    problems = [f"where: critère inconnu « {k} »" for k in where if k not in allowed]
    if not where:
        problems.append("where: au moins un critère est obligatoire")
    for key, allowed_values in (
        ("flowType", FLOW_TYPES),
        ("flowDirection", FLOW_DIRECTIONS),
        ("processingRule", PROCESSING_RULES),
    ):
        values = where.get(key, [])
        if not isinstance(values, list) or any(v not in allowed_values for v in values):
            problems.append(f"where.{key}: liste de valeurs de l'énumération attendue")
    if "ackStatus" in where and where["ackStatus"] not in ACK_STATUSES:
        problems.append("where.ackStatus: hors énumération")
    limit = body.get("limit", 25)
    if not isinstance(limit, int) or not 1 <= limit <= 500:
        problems.append("limit: entier de 1 à 500 attendu")
    return problems


def webhook_problems(body: Any) -> list[str]:
    """What is wrong with a ``Webhook`` body (``callback.url``, ``metadata.flowType`` and
    ``metadata.flowDirection`` are required)."""
    if not isinstance(body, dict):
        return ["webhook: un objet JSON est attendu"]
    problems = [f"webhook: propriété inconnue « {k} »" for k in body if k not in WEBHOOK_KEYS]
    callback, metadata = body.get("callback"), body.get("metadata")
    if not isinstance(callback, dict) or not str(callback.get("url", "")).startswith(
        ("http://", "https://")
    ):
        problems.append("callback.url: adresse http ou https obligatoire")
    else:
        headers = callback.get("headers", [])
        if not isinstance(headers, list) or any(
            not isinstance(h, dict) or set(h) != {"name", "value"} for h in headers
        ):
            problems.append("callback.headers: liste de {name, value} attendue")
    if not isinstance(metadata, dict):
        return [*problems, "metadata: objet obligatoire"]
    for key, allowed, required in (
        ("flowType", FLOW_TYPES, True),
        ("flowDirection", FLOW_DIRECTIONS, True),
        ("processingRule", PROCESSING_RULES, False),
        ("ackStatus", ACK_STATUSES, False),
    ):
        if (required or key in metadata) and metadata.get(key) not in allowed:
            problems.append(f"metadata.{key}: valeur absente ou hors énumération")
    return problems


WEBHOOK_KEYS = {"webhookId", "callback", "metadata"}
