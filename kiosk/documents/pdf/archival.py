"""PDF/A-1b (ISO 19005-1, level B) for every PDF the clinic stores: consent, check-in, withdrawal and each revision.

A clinic keeps these files for at least 5 years (Spain's Ley 41/2002 art. 17), often in a document archive that
expects PDF/A. reportlab and pyHanko each leave something out, and this module adds it in one place:

- ``ArchivalCanvas``, the canvas every renderer draws on, saves PDF 1.4 with
  - XMP metadata (pdfaid part 1, conformance B) mirroring the Info dictionary the renderer set: dc:title,
    dc:creator (the clinic), dc:description (the document id), dc:language, the dates, the creator tool and the
    producer; unfiltered, as PDF/A-1 6.7.2 wants;
  - an output intent with an sRGB ICC profile (version 2.1, the newest PDF 1.4 allows), made here, not read from
    a file or downloaded;
  - font subset tags derived from the file's own bytes instead of reportlab's AAAAAA, AAAAAB ... in every file,
    so a review drawn into a sealed consent brings subsets whose names differ from the consent's
    (ISO 32000-1 9.6.4);
  - an end-of-line before every ``endstream`` (PDF/A-1 6.1.7; reportlab writes none).
- ``ArchivalIncrementalWriter``, pyHanko's incremental writer for seals and signed revisions, keeps /Info and the
  XMP in step: pyHanko's own would stamp /ModDate and /Producer with its clock and its name, differently in each.
- ``give_empty_appearance`` gives the invisible seal's widget the appearance PDF/A requires of every annotation.

Pure: no Flask, no database, no clock (every date comes from the document or the caller), no file read.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from html import escape

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.pdfbase.pdfdoc import PDFArray, PDFCatalog, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.pdfgen.canvas import Canvas

PDF_VERSION = (1, 4)  # PDF/A-1 is built on PDF 1.4
OUTPUT_CONDITION = "sRGB IEC61966-2.1"


# --------------------------------------------------------------------------
# The sRGB output intent: an ICC version 2.1 display profile, built once per process
# --------------------------------------------------------------------------

# sRGB's primaries adapted to the D50 connection space (Bradford), as in the ICC's own sRGB profile.
_SRGB_COLORANTS = {b"rXYZ": (0.4360747, 0.2225045, 0.0139322), b"gXYZ": (0.3850649, 0.7168786, 0.0971045),
                   b"bXYZ": (0.1430804, 0.0606169, 0.7141733)}
_D50 = (0.9642, 1.0, 0.8249)
_D65 = (0.9505, 1.0, 1.0891)  # the display's white, the media white point of a version 2 display profile
_CURVE_POINTS = 1024


def _s15fixed16(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(value * 65536)) for value in values)


def _srgb_to_linear(value: float) -> float:
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _text_description(text: str) -> bytes:
    """An ICC v2 'desc' tag: the ASCII description, no Unicode or Macintosh one (their counts are zero)."""
    ascii_text = text.encode("ascii") + b"\0"
    return (b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + struct.pack(">II", 0, 0)
            + struct.pack(">HB", 0, 0) + bytes(67))


@functools.cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile of version 2.1 (PDF/A-1 accepts none newer; Pillow's own is version 4), the same bytes
    every time."""
    curve = [round(65535 * _srgb_to_linear(i / (_CURVE_POINTS - 1))) for i in range(_CURVE_POINTS)]
    trc = b"curv" + bytes(4) + struct.pack(f">I{_CURVE_POINTS}H", _CURVE_POINTS, *curve)
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _text_description(OUTPUT_CONDITION)),
        (b"cprt", b"text" + bytes(4) + b"No copyright, use freely\0"),
        (b"wtpt", b"XYZ " + bytes(4) + _s15fixed16(*_D65)),
        *((name, b"XYZ " + bytes(4) + _s15fixed16(*xyz)) for name, xyz in _SRGB_COLORANTS.items()),
        (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, data, placed = [], b"", {}  # the three curves share one copy of their data
    for name, body in tags:
        if body not in placed:
            placed[body] = offset + len(data)
            data += body + bytes(-len(body) % 4)  # every tag starts on a 4-byte boundary
        entries.append(name + struct.pack(">II", placed[body], len(body)))
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + bytes(4) + bytes(4) + bytes(8) + bytes(8)
              + struct.pack(">I", 0) + _s15fixed16(*_D50) + bytes(4) + bytes(44))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(entries) + data


@functools.cache
def _compressed_profile() -> bytes:
    return zlib.compress(srgb_profile(), 9)


# --------------------------------------------------------------------------
# XMP metadata: what the Info dictionary says, in the form PDF/A-1 6.7 asks for
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentInfo:
    """The document information PDF/A-1 keeps twice, in /Info and in the XMP; dates as ISO 8601 with their offset."""

    title: str
    author: str
    subject: str
    keywords: str
    creator: str
    producer: str
    created: str
    modified: str
    language: str | None = None


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Text as XML 1.0 can carry it (anything else shows as U+FFFD), so /Info and the XMP can say the same."""
    return _NOT_XML.sub("\ufffd", text)


def xmp_packet(info: DocumentInfo) -> bytes:
    """The XMP packet for the catalog's /Metadata: PDF/A-1b identification plus the document information."""

    def text(value: str) -> str:
        return escape(xml_safe(value))

    language = (f"<dc:language><rdf:Bag><rdf:li>{text(info.language)}</rdf:li></rdf:Bag></dc:language>"
                if info.language else "")
    return "\n".join([
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">',
        "<pdfaid:part>1</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<dc:format>application/pdf</dc:format>",
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text(info.title)}</rdf:li></rdf:Alt></dc:title>',
        f"<dc:creator><rdf:Seq><rdf:li>{text(info.author)}</rdf:li></rdf:Seq></dc:creator>",
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text(info.subject)}</rdf:li></rdf:Alt>'
        "</dc:description>",
        language,
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
        f"<xmp:CreateDate>{info.created}</xmp:CreateDate><xmp:ModifyDate>{info.modified}</xmp:ModifyDate>",
        f"<xmp:MetadataDate>{info.modified}</xmp:MetadataDate><xmp:CreatorTool>{text(info.creator)}</xmp:CreatorTool>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">',
        f"<pdf:Producer>{text(info.producer)}</pdf:Producer><pdf:Keywords>{text(info.keywords)}</pdf:Keywords>",
        "</rdf:Description>",
        "</rdf:RDF>",
        "</x:xmpmeta>",
        '<?xpacket end="r"?>',
    ]).encode("utf-8")


def iso_date(moment: datetime) -> str:
    """An XMP date: ISO 8601 to the second, with the UTC offset /Info carries too."""
    return moment.replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------
# The canvas every renderer draws on
# --------------------------------------------------------------------------


class ArchivalCanvas(Canvas):
    """A reportlab canvas whose saved file is PDF/A-1b (see the module's docstring); its pages draw as any canvas's."""

    _filename: Any  # where reportlab saves: a path or a file object

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("pdfVersion", PDF_VERSION)
        super().__init__(*args, **kwargs)

    def save(self) -> None:
        """Save as reportlab does, with the XMP and output intent added first and the bytes finished after."""
        target, self._filename = self._filename, io.BytesIO()
        _add_metadata_and_output_intent(self._doc)
        Canvas.save(self)
        data = finish_pdf(self._filename.getvalue())
        self._filename = target
        if hasattr(target, "write"):
            target.write(data)
        else:
            with open(target, "wb") as handle:
                handle.write(data)


def _add_metadata_and_output_intent(doc: Any) -> None:
    """Put the XMP (from the Info reportlab will write) and the sRGB output intent into reportlab's catalog."""
    info = doc.info
    for field in ("title", "author", "subject", "keywords", "creator", "producer"):
        setattr(info, field, xml_safe(str(getattr(info, field) or "")))
    stamp = doc._timeStamp  # what reportlab dates /CreationDate and /ModDate by (pinned to the record's time)
    offset = timedelta(hours=stamp.dhh, minutes=stamp.dmm if stamp.dhh >= 0 else -stamp.dmm)
    year, month, day, hour, minute, second = stamp.YMDhms
    dated = iso_date(datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset)))
    lang = getattr(doc.Catalog, "Lang", None)
    xmp = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}), xmp_packet(DocumentInfo(
        title=info.title, author=info.author, subject=info.subject, keywords=info.keywords, creator=info.creator,
        producer=info.producer, created=dated, modified=dated, language=getattr(lang, "s", None) or None)))
    profile = PDFStream(PDFDictionary({"N": 3, "Filter": PDFName("FlateDecode")}), _compressed_profile())
    catalog = doc.Catalog
    catalog.Metadata = xmp  # one of the catalog entries reportlab writes (as a reference)
    catalog.OutputIntents = PDFArray([PDFDictionary({
        "Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": PDFString(OUTPUT_CONDITION), "Info": PDFString(OUTPUT_CONDITION),
        "RegistryName": PDFString("http://www.color.org"), "DestOutputProfile": doc.Reference(profile)})])
    catalog.__NoDefault__ = [*PDFCatalog.__NoDefault__, "OutputIntents"]  # a key reportlab knows, but does not write


# --------------------------------------------------------------------------
# Finishing reportlab's bytes: distinct subset tags, an end-of-line before endstream
# --------------------------------------------------------------------------

_SUBSET_NAME = re.compile(rb"/BaseFont\s*/([A-Z]{6})\+([!-~]+?)(?=[\s/<>\[\]()%])")
_NAME = re.compile(rb"/([A-Z]{6}\+[A-Za-z0-9._-]+)(?=[\s/<>\[\]()%])")
_STREAM_END = b"endstream\nendobj\n"


def finish_pdf(pdf: bytes) -> bytes:
    """reportlab's file with font subset tags of its own and an end-of-line before every `endstream`."""
    return _end_streams_with_eol(_distinct_subset_tags(pdf))


def subset_tag(seed: bytes, name: bytes, taken: set[bytes]) -> bytes:
    """Six capital letters for the subset `name`, from a hash of the file (`seed`), none of those already `taken`."""
    for attempt in range(1000):
        digest = hashlib.sha256(seed + name + attempt.to_bytes(2, "big")).digest()
        tag = bytes(65 + byte % 26 for byte in digest[:6])
        if tag not in taken:
            return tag
    raise ValueError("no free subset tag")  # pragma: no cover - 26**6 tags, a handful of subsets


def _distinct_subset_tags(pdf: bytes) -> bytes:
    """Rename reportlab's AAAAAA+..., AAAAAB+... subsets: same length, so no offset moves."""
    names = sorted({tag + b"+" + font for tag, font in _SUBSET_NAME.findall(pdf)})
    if not names:
        return pdf
    seed = hashlib.sha256(pdf).digest()
    taken: set[bytes] = set()
    renamed: dict[bytes, bytes] = {}
    for name in names:
        tag = subset_tag(seed, name, taken)
        taken.add(tag)
        renamed[name] = tag + name[6:]
    return _NAME.sub(lambda m: b"/" + renamed.get(m.group(1), m.group(1)), pdf)


def _end_streams_with_eol(pdf: bytes) -> bytes:
    """Put an end-of-line between each stream's data and `endstream` (not counted in /Length) and rewrite the
    cross-reference table reportlab wrote (one subsection, objects in file order) for the moved offsets."""
    xref_at = int(pdf[pdf.rindex(b"startxref") + len(b"startxref"):].split()[0])
    if not pdf.startswith(b"xref\n0 ", xref_at):
        raise ValueError("not a reportlab cross-reference table")
    first_line_end = pdf.index(b"\n", xref_at + 5)
    count = int(pdf[xref_at + 5:first_line_end].split()[1])
    entries_at = first_line_end + 1
    entries = [pdf[entries_at + 20 * i:entries_at + 20 * (i + 1)] for i in range(count)]
    offsets = [int(entry[:10]) for entry in entries[1:]]
    if offsets != sorted(offsets):
        raise ValueError("objects not in file order")
    parts, new_entries = [pdf[:offsets[0]]], [entries[0]]
    position = offsets[0]
    for entry, start, end in zip(entries[1:], offsets, [*offsets[1:], xref_at]):
        chunk = pdf[start:end]
        if chunk.endswith(_STREAM_END) and b"\nstream\n" in chunk:
            chunk = chunk[:-len(_STREAM_END)] + b"\n" + _STREAM_END
        new_entries.append(b"%010d" % position + entry[10:])
        parts.append(chunk)
        position += len(chunk)
    trailer = pdf[entries_at + 20 * count:]
    trailer = re.sub(rb"startxref\s+\d+", b"startxref\n%d" % position, trailer)
    return b"".join([*parts, pdf[xref_at:entries_at], *new_entries, trailer])


# --------------------------------------------------------------------------
# pyHanko: seals and signed revisions keep the file PDF/A
# --------------------------------------------------------------------------


class ArchivalIncrementalWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer that keeps /Info and the XMP in step (PDF/A-1 6.7.3) in the update it writes.

    With `modified`, the update dates both by it; without, it leaves both as they were (a seal added when the file
    is made changes nothing the metadata describes). pyHanko's own would write its clock's time and its name into
    /ModDate and /Producer, each differently in /Info and in the XMP.
    """

    def __init__(self, pdf: bytes, modified: datetime | None = None) -> None:
        super().__init__(io.BytesIO(pdf))
        self.modified = modified

    def _update_meta(self) -> None:
        if self.modified is None or self._info is None or "/Metadata" not in self.root:
            return
        info = self._info.get_object()
        metadata = self.root.raw_get("/Metadata")
        if not isinstance(info, generic.DictionaryObject) or not isinstance(metadata, generic.IndirectObject):
            return
        info["/ModDate"] = generic.pdf_date(self.modified)
        self.mark_update(self._info)
        lang = self.root.get("/Lang")
        stream = generic.StreamObject({generic.pdf_name("/Type"): generic.pdf_name("/Metadata"),
                                       generic.pdf_name("/Subtype"): generic.pdf_name("/XML")},
                                      stream_data=xmp_packet(_document_info(info, str(lang) if lang else None)))
        self.objects[(metadata.generation, metadata.idnum)] = stream  # the same object, as pyHanko updates it


def _document_info(info: generic.DictionaryObject, language: str | None) -> DocumentInfo:
    def text(key: str) -> str:
        value = info.get(key)
        return str(value) if value is not None else ""

    def date(key: str) -> str:
        return iso_date(generic.parse_pdf_date(str(info[key])))

    return DocumentInfo(title=text("/Title"), author=text("/Author"), subject=text("/Subject"),
                        keywords=text("/Keywords"), creator=text("/Creator"), producer=text("/Producer"),
                        created=date("/CreationDate"), modified=date("/ModDate"), language=language)


def document_date(pdf: bytes) -> datetime | None:
    """When a rendered PDF says it was made (/CreationDate): a review's appearance is dated by its decision."""
    try:
        info = PdfFileReader(io.BytesIO(pdf)).trailer["/Info"]
        return generic.parse_pdf_date(str(info["/CreationDate"]))
    except (KeyError, TypeError, PdfError):
        return None


def give_empty_appearance(writer: IncrementalPdfFileWriter, field_name: str) -> None:
    """Give an invisible signature field's widget an empty appearance: PDF/A-1 6.5.3 wants one on every annotation."""
    for field_ref in writer.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        if field.get("/T") == field_name:
            empty = generic.StreamObject({
                generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
                generic.pdf_name("/BBox"): generic.ArrayObject([generic.NumberObject(0)] * 4),
                generic.pdf_name("/Resources"): generic.DictionaryObject()}, stream_data=b"")
            field[generic.pdf_name("/AP")] = generic.DictionaryObject(
                {generic.pdf_name("/N"): writer.add_object(empty)})
            writer.update_container(field)
            return
    raise KeyError(field_name)
