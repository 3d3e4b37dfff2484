"""Where things are drawn on a PDF's pages, read from the file itself (pypdf), for the layout tests.

The consent's meaning depends on position: a decision must sit in the frame the original reserved for it,
and the frame, the signature and the flags box must neither cover one another nor run off the page. Positions
come from the PDF's own objects: the outline's /FitR destination (the reserved frame), the widgets' /Rect
(each sealed decision), the images' placement by the content stream (the drawn signature) and the filled
rectangles in the severity colours (the flags box), each in default user space (points, origin bottom left).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream

Box = tuple[float, float, float, float]  # left, bottom, right, top


@dataclass(frozen=True)
class Drawn:
    """One thing drawn on a page: an image (name) or a filled rectangle (its fill colour as 0-255 RGB)."""

    kind: str  # "image" | "fill"
    box: Box
    colour: tuple[int, int, int] | None = None


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """m then n, as PDF matrices [a b c d e f] compose (a point is transformed by m first)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return [a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2]


def _apply(m: list[float], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _bounds(m: list[float], box: Box) -> Box:
    left, bottom, right, top = box
    points = [_apply(m, x, y) for x in (left, right) for y in (bottom, top)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _rgb(operands: list[Any]) -> tuple[int, int, int]:
    return tuple(round(float(v) * 255) for v in operands)  # type: ignore[return-value]


def drawn(reader: PdfReader, page_index: int) -> list[Drawn]:
    """Every image and filled rectangle on a page, in painting order, following form XObjects."""
    page = reader.pages[page_index]
    out: list[Drawn] = []
    _walk(reader, page.get_contents(), page.get("/Resources"), [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], out)
    return out


def drawn_in_form(reader: PdfReader, form: Any) -> list[Drawn]:
    """What a form XObject (a widget's appearance) paints, in its own coordinates."""
    out: list[Drawn] = []
    _walk(reader, form, form.get("/Resources"), [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], out)
    return out


def rectangle(values: Any) -> Box:
    """A PDF rectangle ([x1 y1 x2 y2], corners in any order) as (left, bottom, right, top)."""
    left, right = sorted(float(v) for v in values[::2])
    bottom, top = sorted(float(v) for v in values[1::2])
    return left, bottom, right, top


def _walk(reader: PdfReader, content: Any, resources: Any, ctm: list[float], out: list[Drawn]) -> None:
    if content is None:
        return
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else {}
    stack: list[tuple[list[float], tuple[int, int, int] | None]] = []
    fill: tuple[int, int, int] | None = (0, 0, 0)
    pending: list[Box] = []
    for operands, operator in ContentStream(content, reader).operations:
        if operator == b"q":
            stack.append((ctm, fill))
        elif operator == b"Q" and stack:
            ctm, fill = stack.pop()
        elif operator == b"cm":
            ctm = _multiply([float(v) for v in operands], ctm)
        elif operator == b"rg":
            fill = _rgb(operands)
        elif operator == b"g":
            fill = _rgb(operands * 3)
        elif operator == b"re":
            x, y, w, h = (float(v) for v in operands)
            pending.append(_bounds(ctm, (min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h))))
        elif operator in (b"f", b"F", b"f*", b"B", b"B*"):
            out.extend(Drawn("fill", box, fill) for box in pending)
            pending = []
        elif operator in (b"S", b"s", b"n"):
            pending = []  # stroked or only a clipping path: nothing filled
        elif operator == b"Do":
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") == "/Image":
                out.append(Drawn("image", _bounds(ctm, (0.0, 0.0, 1.0, 1.0))))
            elif xobject.get("/Subtype") == "/Form":
                matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _walk(reader, xobject, xobject.get("/Resources"), _multiply(matrix, ctm), out)


def review_frame(pdf: bytes) -> tuple[int, Box]:
    """The page index and rectangle of the outline entry with a /FitR destination: the frame kept for decisions."""
    reader = PdfReader(io.BytesIO(pdf))
    frames = [item for item in reader.outline if not isinstance(item, list) and item.typ == "/FitR"]
    assert len(frames) == 1, f"{len(frames)} reserved frames"
    [frame] = frames
    return reader.get_destination_page_number(frame), (float(frame.left), float(frame.bottom), float(frame.right),
                                                        float(frame.top))


def widgets(pdf: bytes, prefix: str) -> list[tuple[int, str, Box]]:
    """Every widget whose field name starts with `prefix`: its page index, name and /Rect, in file order."""
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            name = str(widget.get("/T") or widget.get("/Parent", {}).get("/T", ""))
            if name.startswith(prefix):
                found.append((index, name, rectangle(widget["/Rect"])))
    return found


def page_box(pdf: bytes, page_index: int) -> Box:
    """The page's MediaBox."""
    box = PdfReader(io.BytesIO(pdf)).pages[page_index].mediabox
    return float(box.left), float(box.bottom), float(box.right), float(box.top)


def inside(inner: Box, outer: Box, margin: float = 0.0) -> bool:
    """Whether `inner` lies within `outer`, at least `margin` points from each of its edges."""
    return (inner[0] >= outer[0] + margin and inner[1] >= outer[1] + margin and inner[2] <= outer[2] - margin
            and inner[3] <= outer[3] - margin)


def overlap(one: Box, other: Box) -> bool:
    """Whether two boxes share any area (touching edges do not count)."""
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]
