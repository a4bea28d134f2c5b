"""PDF/A-3 plumbing for ReportLab output.

ReportLab writes the page content with embedded DejaVu subsets; this module adds what
PDF/A-3 needs on top: an sRGB ICC OutputIntent, a document ID and XMP metadata with the
``pdfaid`` declaration. For Factur-X invoices the ``factur-x`` package then replaces the
XMP with one carrying the Factur-X extension schema and attaches ``factur-x.xml``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from xml.sax.saxutils import escape


@functools.cache
def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile built by LittleCMS (via Pillow), so nothing to ship."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def xmp_metadata(title: str, author: str, created: dt.datetime) -> bytes:
    """Minimal PDF/A-3B XMP packet (used for documents that are not Factur-X)."""
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{stamp}</xmp:CreateDate><xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:CreatorTool>Propreo</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>Propreo</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def make_pdfa(
    pdf_bytes: bytes, *, title: str, author: str, created: dt.datetime | None = None
) -> bytes:
    """Add the sRGB OutputIntent, a stable /ID, document info and XMP to a ReportLab PDF."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    created = created or dt.datetime.now(dt.UTC)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    icc = DecodedStreamObject()
    icc.set_data(srgb_icc_profile())
    icc.update({NameObject("/N"): NumberObject(3)})
    icc_ref = writer._add_object(icc.flate_encode())
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB"),
            NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): icc_ref,
        }
    )
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    meta = DecodedStreamObject()
    meta.set_data(xmp_metadata(title, author, created))
    meta.update(
        {NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")}
    )
    writer._root_object[NameObject("/Metadata")] = writer._add_object(meta)
    stamp = created.strftime("D:%Y%m%d%H%M%S+00'00'")
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": author,
            "/Creator": "Propreo",
            "/Producer": "Propreo",
            "/CreationDate": stamp,
            "/ModDate": stamp,
        }
    )
    digest = ByteStringObject(hashlib.md5(pdf_bytes).digest())
    writer._ID = ArrayObject([digest, digest])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
