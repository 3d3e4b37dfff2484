"""The frame a signed PDF reserves for what happens after the signature, and what each later revision draws in it.

Every consent and check-in PDF ends with one frame (ReservedArea). A doctor's decision, or a withdrawal,
is a later revision of the file: an incremental update whose signature widget covers the *whole* frame with
an opaque appearance drawn here, on top of the earlier ones. The frame therefore never fills up, the
patient's seal stays valid (a new signature field is an allowed change; a new page is not), and the
appearance on top always says what counts now, with every earlier entry listed below it in revision order: the
decisions, and the photo consents (the newest in full while a later decision or withdrawal is drawn over it), so
no entry is ever hidden by a later one.

Pure like the rest of kiosk.documents.pdf: dicts in, PDF bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer, Table

from kiosk.documents.pdf.archival import ArchivalCanvas
from kiosk.documents.pdf.labels import LABELS, course_labels
from kiosk.documents.pdf.pages import ReservedArea, document_moment, pin_timestamp
from kiosk.documents.pdf.sections import KV_STYLE, kv_table
from kiosk.documents.pdf.style import CELL_PAD, FONT, INK, KEY_LEADING, KEY_SIZE, MUTED, STYLES, USABLE_W, register_fonts
from kiosk.documents.pdf.text import TextBlock, blocks, format_datetime, heading, printable, wrap_plain
from kiosk.documents.record import EarlierDecision, EarlierPhotoChoice, PhotoChoice, Review, Withdrawal

REVIEW_AREA_MIN_HEIGHT = 17 * cm  # most of a page: each later revision's appearance covers the whole frame
EARLIER_ENTRIES_LISTED = 12  # earlier entries (decisions, photo consents) listed under the current one; older ones counted


def review_area_section(labels: dict[str, str], intro_key: str = "review_area_intro") -> list[Flowable]:
    """The heading and the empty frame that later signed revisions fill in."""
    story: list[Flowable] = heading(labels["review"], "h2", REVIEW_AREA_MIN_HEIGHT + 2.5 * cm)
    story.append(TextBlock(labels[intro_key], STYLES["small"], space_after=6))
    story.append(ReservedArea(REVIEW_AREA_MIN_HEIGHT, labels["review"]))
    return story


def _meaning(review: Mapping[str, Any], labels: dict[str, str]) -> str:
    """The statement the doctor ticked, in this document's language (the record keeps it as they read it)."""
    meaning = str(review.get("meaning") or "")
    known = {table["review_meaning_statement"] for table in LABELS.values()}
    return labels["review_meaning_statement"] if meaning in known else meaning or labels["none"]


def _decision_label(review: Review | EarlierDecision, labels: dict[str, str]) -> str:
    """The decision in words; an unknown value prints as itself rather than failing the PDF."""
    return labels.get(f"decision_{review.get('decision')}", str(review.get("decision")))


def _review_when(review: Review, labels: dict[str, str]) -> str:
    """Date and time with offset, and the IANA zone name when known."""
    when = format_datetime(review.get("decided_at"), labels)
    return f"{when} ({review.get('timezone')})" if review.get("timezone") else when


def review_section(review: Review, labels: dict[str, str], width: float = USABLE_W) -> list[Flowable]:
    """The doctor's decision, note and signature (the heading is on the page the review is placed on)."""
    story: list[Flowable] = []
    story.append(kv_table([
        (labels["review_doctor"], review.get("doctor_name"), "bold"),
        (labels["review_decision"], _decision_label(review, labels), "bold"),
        (labels["review_decided_at"], _review_when(review, labels), ""),
    ], width=width))
    story += heading(labels["review_note"], "h3", 2 * cm)
    # a note may be long: printed as splittable text blocks, never as one table cell taller than a page
    story += blocks(review.get("note"), STYLES["body"], reflow=False) or [TextBlock(labels["review_no_note"], STYLES["body"])]
    block: list[Flowable] = [
        TextBlock(labels["review_signature"], STYLES["h3"]),
        TextBlock(labels["review_signed"].format(name=printable(review.get("doctor_name")),
                                                  email=printable(review.get("doctor_email"))), STYLES["body"]),
        kv_table([
            (labels["printed_name"], review.get("doctor_name"), "bold"),
            (labels["signed_at"], _review_when(review, labels), ""),
            (labels["review_meaning"], _meaning(review, labels), ""),
        ], width=width),
    ]
    story.append(KeepTogether(block))
    return story


Photos = list[EarlierPhotoChoice]


def review_appearance_story(review: Review, earlier: list[EarlierDecision], labels: dict[str, str],
                            width: float, photos: Photos | None = None) -> list[Flowable]:
    """What a decision's revision shows in the frame: it, as the one that counts, over every entry before it."""
    story: list[Flowable] = [TextBlock(labels["review_current"].format(revision=review.get("revision")),
                                       STYLES["h3"])]
    story += review_section(review, labels, width)
    story.append(Spacer(0, 4))
    story.append(kv_table([
        (labels["review_revision"], review.get("revision"), "bold"),
        (labels["review_original_sha256"], review.get("original_sha256"), "hash"),
    ], width=width))
    story += blocks(labels["review_verify_sealed"].format(revision=review.get("revision")), STYLES["small"])
    return story + _still_in_force(photos or [], labels, width) + _history(earlier, photos or [], labels, width)


def withdrawal_appearance_story(withdrawal: Withdrawal, earlier: list[EarlierDecision], labels: dict[str, str],
                                width: float, photos: Photos | None = None) -> list[Flowable]:
    """What a withdrawal's revision shows in the frame: the consent is withdrawn, by whom, when, how and why."""
    story: list[Flowable] = [
        TextBlock(labels["withdrawal_current"].format(revision=withdrawal["revision"]), STYLES["h3"]),
        TextBlock(labels["withdrawal_notice"].format(revision=withdrawal["revision"]), STYLES["notice"]),
        kv_table([
            (labels["withdrawn_at"], f"{format_datetime(withdrawal['at'], labels)} ({withdrawal['timezone']})",
             "bold"),
            (labels["withdrawal_recorded_by"], withdrawal["recorded_by"], ""),
            (labels["withdrawal_how"], withdrawal["how"], ""),
            (labels["sessions_done"], withdrawal["sessions_done"], ""),
        ], width=width),
    ]
    story += heading(labels["withdrawal_reason"], "h3", 2 * cm)
    story += blocks(withdrawal.get("reason"), STYLES["body"], reflow=False) or [
        TextBlock(labels["withdrawal_no_reason"], STYLES["body"])]
    story.append(Spacer(0, 4))
    story.append(kv_table([
        (labels["review_revision"], withdrawal["revision"], "bold"),
        (labels["review_original_sha256"], withdrawal["original_sha256"], "hash"),
    ], width=width))
    story += blocks(labels["withdrawal_verify_sealed"].format(revision=withdrawal["revision"]), STYLES["small"])
    return story + _still_in_force(photos or [], labels, width) + _history(earlier, photos or [], labels, width)


def _uses_table(uses: list[tuple[str, bool]], labels: dict[str, str], width: float) -> list[Flowable]:
    """Each photo use in the patient's words, allowed or not (and the plain consequence when none is)."""
    story: list[Flowable] = [kv_table([(words, labels["photo_use_allowed"] if ticked else labels["photo_use_refused"],
                                        "bold" if ticked else "") for words, ticked in uses], width=width)]
    if not any(ticked for _words, ticked in uses):
        story.append(TextBlock(labels["photo_none"], STYLES["body"]))
    return story


def photo_consent_appearance_story(choice: PhotoChoice, earlier: list[EarlierDecision], labels: dict[str, str],
                                   width: float, photos: Photos | None = None) -> list[Flowable]:
    """What a photo consent's revision shows in the frame: each use allowed or not, who chose it, and every entry before."""
    recorded = (labels["photo_recorded_tablet"] if choice["recorded_by"] is None
                else labels["photo_recorded_desk"].format(name=printable(choice["recorded_by"])))
    story: list[Flowable] = [
        TextBlock(labels["photo_consent_current"].format(revision=choice["revision"]), STYLES["h3"]),
        TextBlock(labels["photo_consent_notice"].format(revision=choice["revision"]), STYLES["notice"]),
        *_uses_table(choice["uses"], labels, width),
    ]
    story.append(kv_table([
        (labels["photo_recorded_at"], f"{format_datetime(choice['at'], labels)} ({choice['timezone']})", "bold"),
        (labels["photo_recorded_by"], recorded, ""),
        (labels["review_revision"], choice["revision"], "bold"),
        (labels["review_original_sha256"], choice["original_sha256"], "hash"),
    ], width=width))
    story += blocks(labels["photo_verify_sealed"].format(revision=choice["revision"]), STYLES["small"])
    return story + _history(earlier, photos or [], labels, width)


def _still_in_force(photos: Photos, labels: dict[str, str], width: float) -> list[Flowable]:
    """The newest photo consent, in full: a later decision draws over its revision but does not change it."""
    if not photos:
        return []
    newest = max(photos, key=lambda p: p["revision"])
    return [Spacer(0, 6), TextBlock(labels["photo_in_force"].format(revision=newest["revision"]), STYLES["h3"]),
            *_uses_table(newest["uses"], labels, width)]


def _history(decisions: list[EarlierDecision], photos: Photos, labels: dict[str, str],
             width: float) -> list[Flowable]:
    """Every earlier entry in the frame (decisions and photo consents) in revision order, one row each.

    The newest EARLIER_ENTRIES_LISTED are listed; older ones are counted, so a long history still fits the
    frame at a readable size (each is kept in full as its own revision inside the file).
    """
    rows_by_revision: list[tuple[int, str, str, str]] = [
        (d["revision"], d["decided_at"], d["doctor_name"], _decision_label(d, labels)) for d in decisions]
    for photo in photos:
        allowed = [words for words, ticked in photo["uses"] if ticked]
        rows_by_revision.append((
            photo["revision"], photo["at"],
            photo["recorded_by"] if photo["recorded_by"] is not None else labels["photo_recorded_tablet"],
            labels["photo_entry"].format(uses="; ".join(w.rstrip(".") for w in allowed)) if allowed else labels["photo_entry_none"]))
    if not rows_by_revision:
        return []
    in_order = sorted(rows_by_revision, key=lambda row: row[0])
    unlisted, listed = in_order[:-EARLIER_ENTRIES_LISTED], in_order[-EARLIER_ENTRIES_LISTED:]
    story: list[Flowable] = [Spacer(0, 6), TextBlock(labels["history"], STYLES["h3"]),
                             TextBlock(labels["history_intro"], STYLES["small"], space_after=3)]
    if unlisted:
        more = labels["history_more_one"] if len(unlisted) == 1 else labels["history_more"]
        story += blocks(more.format(count=len(unlisted), first=unlisted[0][0], last=unlisted[-1][0]), STYLES["small"])
    widths = [0.12 * width, 0.24 * width, 0.24 * width, 0.40 * width]
    rows = [[wrap_plain(text, FONT, KEY_SIZE, w - CELL_PAD) for text, w in zip(
        (labels["review_revision"], labels["entry_at"], labels["entry_by"], labels["entry_what"]), widths)]]
    for revision, at, by, what in listed:
        cells = (str(revision), format_datetime(at, labels), by, what)
        rows.append([wrap_plain(printable(text), FONT, KEY_SIZE, w - CELL_PAD) for text, w in zip(cells, widths)])
    story.append(Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1, style=[
        *KV_STYLE.getCommands(), ("FONTSIZE", (0, 0), (-1, -1), KEY_SIZE), ("LEADING", (0, 0), (-1, -1), KEY_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED), ("TEXTCOLOR", (0, 1), (-1, -1), INK)]))
    return story


def render_review_appearance(review: Review, earlier: list[EarlierDecision], language: str | None,
                             width: float, height: float, photos: Photos | None = None) -> bytes:
    """A decision drawn to cover the whole frame (width x height points), over every entry before it."""
    labels = course_labels(language)
    return _render_frame(lambda w: review_appearance_story(review, earlier, labels, w, photos),
                         review.get("decided_at"), width, height)


def render_withdrawal_appearance(withdrawal: Withdrawal, earlier: list[EarlierDecision], language: str | None,
                                 width: float, height: float, photos: Photos | None = None) -> bytes:
    """A withdrawal drawn to cover the whole frame, so the file reads as withdrawn wherever it is opened."""
    labels = course_labels(language)
    return _render_frame(lambda w: withdrawal_appearance_story(withdrawal, earlier, labels, w, photos),
                         withdrawal["at"], width, height)


def render_photo_consent_appearance(choice: PhotoChoice, earlier: list[EarlierDecision], language: str | None,
                                    width: float, height: float, photos: Photos | None = None) -> bytes:
    """A photo consent drawn to cover the whole frame, with every earlier entry still listed under it."""
    labels = course_labels(language)
    return _render_frame(lambda w: photo_consent_appearance_story(choice, earlier, labels, w, photos), choice["at"],
                         width, height)


def _render_frame(story_at: Callable[[float], list[Flowable]], dated: str | None, width: float,
                  height: float) -> bytes:
    """A one-page PDF with the frame's proportions, opaque white, showing the story made for a given width.

    It is drawn over the whole reserved frame, covering earlier appearances, so it must fill the frame
    exactly: content taller than the frame is laid out on a wider page of the same proportions, which the
    seal then scales down into the frame.
    """
    register_fonts()
    pad = 6.0
    scratch = Canvas(io.BytesIO())

    def needed(page_width: float) -> float:
        story = _flat(story_at(page_width - 2 * pad))
        return 2 * pad + sum(f.wrapOn(scratch, page_width - 2 * pad, 1e6)[1] + f.getSpaceBefore() + f.getSpaceAfter()
                             for f in story)

    page_width = width
    if needed(width) > height:  # widen until the content fits the frame's proportions at that width
        low, high = width, width
        while needed(high) > high * height / width:
            low, high = high, high * 1.5
        for _ in range(12):
            middle = (low + high) / 2
            low, high = (middle, high) if needed(middle) > middle * height / width else (low, middle)
        page_width = high
    page_height = page_width * height / width
    created = document_moment(dated)

    def white(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(0, 0, page_width, page_height, stroke=0, fill=1)
        canvas.restoreState()

    def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
        canvas = ArchivalCanvas(*args, **kwargs)
        if created is not None:
            pin_timestamp(canvas, created)
        return canvas

    while True:  # the measure is close; should a line still spill onto a second page, grow and build again
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=(page_width, page_height), leftMargin=pad, rightMargin=pad,
                                topMargin=pad, bottomMargin=pad, invariant=1, creator="consent-kiosk",
                                initialFontName=FONT, initialFontSize=9.5)
        doc.build(_flat(story_at(page_width - 2 * pad)), onFirstPage=white, canvasmaker=make_canvas)
        if doc.page <= 1:
            return buffer.getvalue()
        page_width *= 1.05
        page_height = page_width * height / width


def _flat(story: list[Flowable]) -> list[Flowable]:
    """On one tall page nothing needs keeping together; unwrapped, every piece measures and draws as itself."""
    return [part for f in story for part in (f._content if isinstance(f, KeepTogether) else [f])]

