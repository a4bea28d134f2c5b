"""The e-reporting file (flux 10, syntax FRR) Propreo produces, and its schema.

The element names follow the DGFiP external specifications (annex « Format sémantique
FE e-reporting »: ``Report``, ``ReportDocument``, ``TransactionsReport`` with ``Invoice``
(10.1, one per international B2B invoice) and ``Transactions`` (10.3, B2C totals per day
and category), ``PaymentsReport`` (10.2 per invoice, 10.4 per day)). The published XSD is
not available here: this schema is our subset, the same on both sides (the reference
platform checks it), documented in docs/EINVOICING.md as an assumption.
"""

from __future__ import annotations

import functools

from lxml import etree

XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="Date8"><xs:restriction base="xs:string">
    <xs:pattern value="[0-9]{8}"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Amount"><xs:restriction base="xs:decimal">
    <xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Siren"><xs:restriction base="xs:string">
    <xs:pattern value="[0-9]{9}"/></xs:restriction></xs:simpleType>
  <xs:complexType name="TaxSubTotal"><xs:sequence>
    <xs:element name="TaxPercent" type="xs:decimal"/>
    <xs:element name="TaxableAmount" type="Amount"/>
    <xs:element name="TaxTotal" type="Amount"/>
  </xs:sequence></xs:complexType>
  <xs:complexType name="PaidSubTotal"><xs:sequence>
    <xs:element name="TaxPercent" type="xs:decimal"/>
    <xs:element name="Amount" type="Amount"/>
  </xs:sequence></xs:complexType>
  <xs:complexType name="Payment"><xs:sequence>
    <xs:element name="Date" type="Date8"/>
    <xs:element name="SubTotals" type="PaidSubTotal" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType>
  <xs:element name="Report"><xs:complexType><xs:sequence>
    <xs:element name="ReportDocument"><xs:complexType><xs:sequence>
      <xs:element name="Id" type="xs:string"/>
      <xs:element name="IssueDateTime" type="xs:string"/>
      <xs:element name="TypeCode">
        <xs:simpleType><xs:restriction base="xs:string">
          <xs:enumeration value="Transactions"/><xs:enumeration value="Payments"/>
        </xs:restriction></xs:simpleType></xs:element>
      <xs:element name="Sender"><xs:complexType><xs:sequence>
        <xs:element name="Siren" type="Siren"/><xs:element name="Name" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Period"><xs:complexType><xs:sequence>
        <xs:element name="StartDate" type="Date8"/><xs:element name="EndDate" type="Date8"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
    <xs:choice>
      <xs:element name="TransactionsReport"><xs:complexType><xs:sequence>
        <xs:element name="Invoice" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="InvoiceID" type="xs:string"/>
          <xs:element name="IssueDate" type="Date8"/>
          <xs:element name="TypeCode" type="xs:string"/>
          <xs:element name="CurrencyCode" type="xs:string"/>
          <xs:element name="BuyerCountry" type="xs:string"/>
          <xs:element name="BuyerVATID" type="xs:string" minOccurs="0"/>
          <xs:element name="CategoryCode" type="xs:string"/>
          <xs:element name="TaxSubTotal" type="TaxSubTotal" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType></xs:element>
        <xs:element name="Transactions" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="Date" type="Date8"/>
          <xs:element name="CurrencyCode" type="xs:string"/>
          <xs:element name="CategoryCode" type="xs:string"/>
          <xs:element name="TransactionsCount" type="xs:positiveInteger"/>
          <xs:element name="TaxSubTotal" type="TaxSubTotal" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="PaymentsReport"><xs:complexType><xs:sequence>
        <xs:element name="Invoice" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="InvoiceID" type="xs:string"/>
          <xs:element name="IssueDate" type="Date8"/>
          <xs:element name="Payment" type="Payment" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType></xs:element>
        <xs:element name="Transactions" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="Payment" type="Payment"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence></xs:complexType></xs:element>
    </xs:choice>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(XSD))


def problems(data: bytes) -> list[str]:
    """Every schema error of an e-reporting file (empty when valid)."""
    try:
        doc = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        return [f"XML illisible : {exc}"]
    schema = _schema()
    if schema.validate(doc):
        return []
    return [f"ligne {e.line} : {e.message}" for e in schema.error_log]


def check(data: bytes) -> str:
    """The AFNOR ``flowType`` of a valid file; :class:`ValueError` with the first error."""
    found = problems(data)
    if found:
        raise ValueError(found[0])
    doc = etree.fromstring(data)
    report = doc.find("TransactionsReport")
    kind = "Transaction" if report is not None else "Payment"
    report = report if report is not None else doc.find("PaymentsReport")
    if report is None:  # problems() would have said so
        raise ValueError("Ni rapport de transactions ni rapport de paiements dans le fichier.")
    unitary = report.find("Invoice") is not None
    aggregated = report.find("Transactions") is not None
    if unitary and aggregated:
        return "MultiFlowReport"
    return f"{'Unitary' if unitary else 'Aggregated'}Customer{kind}Report"
