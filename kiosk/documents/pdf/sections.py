"""The consent PDF's story, section by section: identity, texts, screening, signature, review, audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Iterable

from PIL import Image as PILImage
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from kiosk.documents.paragraphs import paragraphs
from kiosk.documents.pdf.qr import QrCode, qr_matrix
from kiosk.documents.pdf.pages import OutlineMark, Rule, signature_flowable
from kiosk.documents.pdf.people import people_labels
from kiosk.documents.pdf.style import (CELL_PAD, FONT, FONT_BOLD, INK, KEY_LEADING, KEY_SIZE, KEY_W, MARGIN_BOTTOM, MARGIN_TOP,
                             MUTED, PAGE_SIZE, RULE, SEVERITY_COLOURS, SIGNATURE_MAX_W, STYLES, USABLE_W,
                             VALUE_LEADING, VALUE_SIZE, header_row_table)
from kiosk.documents.pdf.text import (TextBlock, blocks, format_date, format_datetime, heading, identity_check,
                                      language_name, printable, started_by, step_name, wrap_plain)
from kiosk.documents.record import (SEVERITY_ORDER, ConsentRecord, describe_answer, flag_id, other_language_parts,
                                    severity_rank, step_language, words_in)
from kiosk.documents.wording import chosen_areas

KV_STYLE = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTSIZE", (0, 0), (0, -1), KEY_SIZE),
    ("LEADING", (0, 0), (0, -1), KEY_LEADING),
    ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
    ("FONTSIZE", (1, 0), (1, -1), VALUE_SIZE),
    ("LEADING", (1, 0), (1, -1), VALUE_LEADING),
    ("TEXTCOLOR", (1, 0), (1, -1), INK),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
])


HASH_SIZE = 8.0  # a 64-digit SHA-256 fits one line of a value cell at this size


def _outlined(story: list[Flowable], key: str, title: str) -> list[Flowable]:
    """A section with an entry in the PDF's bookmarks panel, placed after its heading's page break."""
    return story[:1] + [OutlineMark(key, title)] + story[1:]


def _kv_table(rows: Iterable[tuple[str, object, str]], key_width: float = KEY_W, width: float = USABLE_W) -> Table:
    """Lay out label/value pairs as plain, pre-wrapped text cells (printed literally).

    Each row's third item is "" (normal), "bold" (names, ids) or "hash" (fingerprints).
    """
    value_width = width - key_width
    data: list[list[str]] = []
    extra: list[tuple[Any, ...]] = []
    for row, (key, value, kind) in enumerate(rows):
        font = FONT_BOLD if kind == "bold" else FONT
        size = HASH_SIZE if kind == "hash" else VALUE_SIZE
        data.append([
            wrap_plain(key, FONT, KEY_SIZE, key_width - CELL_PAD),
            wrap_plain(value, font, size, value_width - CELL_PAD),
        ])
        if font != FONT:
            extra.append(("FONTNAME", (1, row), (1, row), font))
        if size != VALUE_SIZE:
            extra.append(("FONTSIZE", (1, row), (1, row), size))
    table = Table(data, colWidths=[key_width, value_width], hAlign="LEFT", style=KV_STYLE)
    if extra:
        table.setStyle(TableStyle(extra))
    return table


def _severity_counts(record: ConsentRecord, labels: dict[str, str]) -> str:
    """Summarise flags as e.g. "1 STOP, 1 REVIEW" for the title block."""
    counts = {s: 0 for s in SEVERITY_ORDER}
    for flag in record.get("flags") or []:
        if flag.get("severity") in counts:
            counts[flag["severity"]] += 1
    return ", ".join(f"{n} {_short(s, labels)}" for s, n in counts.items() if n)


def _short(severity: object, labels: dict[str, str]) -> str:
    """A severity's one-word name in capitals (STOP, REVIEW, INFO) in the consent's language."""
    return labels.get(f"short_{severity}", str(severity).upper())


def identity_section(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """Title, patient identity, treatment and language: who agreed to what."""
    patient = record["patient"]
    treatment = record["treatment"]
    story: list[Flowable] = [
        TextBlock(labels["title"].format(modality=treatment.get("modality_title", "")), STYLES["title"]),
    ]
    counts = _severity_counts(record, labels)
    if counts:
        story.append(TextBlock(labels["flags_notice"].format(counts=counts), STYLES["notice"]))
    story += _outlined(heading(labels["patient"], "h2", 3 * cm), "patient", labels["patient"])
    rows: list[tuple[str, object, str]] = [
        (labels["full_name"], patient.get("full_name"), "bold"),
        (labels["date_of_birth"], format_date(patient.get("date_of_birth"), labels), ""),
    ]
    rows += [(labels[key], patient.get(key), "") for key in ("phone", "email") if patient.get(key)]
    if patient.get("identity_check"):
        rows.append((labels["identity_check"], identity_check(patient.get("identity_check"), labels), ""))
    checked = patient.get("identity_checked_for")
    if checked:  # the desk's check was for another name or date of birth than the one signed for
        rows.append((labels["identity_checked_for"], labels["identity_checked_for_value"].format(
            name=printable(checked.get("full_name")), dob=format_date(checked.get("date_of_birth"), labels)), "bold"))
    story.append(_kv_table(rows))

    story += heading(labels["treatment"], "h2", 3 * cm)
    areas = ", ".join(chosen_areas([(str(a.get("id", "")), str(a.get("label", ""))) for a in treatment.get("areas") or []],
                                   treatment.get("area_other")))
    rows = [
        (labels["modality"], treatment.get("modality_title"), "bold"),
        (labels["areas"], areas or labels["none"], ""),
    ]
    rows.append((labels["planned_sessions"], treatment.get("planned_sessions"), ""))
    rows.append((labels["language"], language_name(record.get("language", ""), labels, alone=True), ""))
    rows += [(labels["read_in_other"], line, "bold") for line in _read_in_other(record, labels)]
    story.append(_kv_table(rows))
    return story


def _read_in_other(record: ConsentRecord, labels: dict[str, str]) -> list[str]:
    """One line per other language a part was read in: "risk 5, risk 6: in Español (es), printed as read"."""
    by_language: dict[str, list[str]] = {}
    for language, part, number in other_language_parts(record):
        by_language.setdefault(language, []).append(labels[f"part_{part}"].format(n=number))
    return [labels["read_in_other_value"].format(parts=", ".join(parts), language=language_name(language, labels))
            for language, parts in by_language.items()]


def texts_section(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """The words the patient was shown, verbatim, with each risk's acknowledgement."""
    shown = record["texts"]["shown"]
    story: list[Flowable] = _outlined(heading(labels["information"], "h2", 4 * cm), "information",
                                      labels["information"])
    story += blocks(shown.get("summary"), STYLES["summary"])
    read_in = step_language(record, "explanation")
    if read_in != record.get("language"):  # the explanation as the patient read it, in the language they read it in
        story.append(TextBlock(labels["read_in_note"].format(language=language_name(read_in, labels)), STYLES["ack"]))
    for section in words_in(record, read_in).get("sections") or []:
        story += heading(str(section.get("title") or ""), "h3", 2.2 * cm)
        story += blocks(section.get("text"), STYLES["body"])

    story += _outlined(heading(labels["risks"], "h2", 4.5 * cm), "risks", labels["risks"])
    story.append(TextBlock(labels["risks_intro"], STYLES["small"]))
    acks = {ack.get("id"): ack for ack in record.get("risks") or []}
    shown_ids = set()
    for number, risk in enumerate(shown.get("risks") or [], start=1):
        shown_ids.add(risk.get("id"))
        ack = acks.get(risk.get("id"))
        read_in = str((ack.get("language") if ack else None) or record.get("language") or "")
        if read_in != record.get("language"):  # acknowledged in another language: its words as the patient read them
            risk = next((r for r in words_in(record, read_in).get("risks") or [] if r.get("id") == risk.get("id")), risk)
        # Room for the title, two lines and the acknowledgement, so they stay together.
        story += heading(f"{number}. {risk.get('title') or ''}", "h3", 3.0 * cm)
        story += blocks(risk.get("text"), STYLES["body"])
        if ack:
            line = labels["acknowledged"].format(
                initials=ack.get("initials", ""), time=format_datetime(ack.get("acknowledged_at"), labels))
            if isinstance(ack.get("seconds"), (int, float)):
                line += labels["read_for"].format(seconds=ack["seconds"])
            if read_in != record.get("language"):
                line += labels["risk_read_in"].format(language=language_name(read_in, labels))
            story.append(TextBlock(line, STYLES["ack"]))
        else:
            story.append(TextBlock(labels["not_acknowledged"], STYLES["nack"]))
    extra = [str(i) for i in acks if i not in shown_ids]
    if extra:
        story.append(TextBlock(labels["unknown_acks"].format(ids=", ".join(extra)), STYLES["nack"]))
    return story


def comprehension_section(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """The check after the risks: each question, its options in the order shown, the patient's answer, the right one
    where it differed, and the answer when the question was asked again."""
    checks = record.get("comprehension") or []
    if not checks:  # records signed before the check existed
        return []
    read_in = step_language(record, "comprehension")
    options = {str(c.get("id")): {str(o.get("id")): str(o.get("text") or "") for o in c.get("options") or []}
               for c in words_in(record, read_in).get("comprehension") or []}
    story: list[Flowable] = heading(labels["comprehension"], "h2", 4 * cm)
    story.append(TextBlock(labels["comprehension_intro"], STYLES["small"]))
    if read_in != record.get("language"):
        story.append(TextBlock(labels["read_in_note"].format(language=language_name(read_in, labels)), STYLES["ack"]))
    for number, check in enumerate(checks, start=1):
        texts = options.get(str(check.get("question")), {})
        block: list[Flowable] = [TextBlock(f"{number}. {check.get('text') or ''}", STYLES["h3"])]
        if check.get("order"):
            block.append(TextBlock(labels["comprehension_order"].format(options=_lettered(check["order"], texts)),
                                   STYLES["small"]))
        block.append(TextBlock(labels["comprehension_chosen"].format(answer=check.get("chosen_text") or
                                                                     labels["not_answered"]), STYLES["body"]))
        if check.get("correct"):
            block.append(TextBlock(labels["comprehension_right"], STYLES["ack"]))
        else:
            block.append(TextBlock(labels["comprehension_wrong"].format(answer=check.get("answer_text") or ""),
                                   STYLES["nack"]))
            block += blocks(check.get("explanation"), STYLES["small"])
        again = check.get("again")
        if again:
            if again.get("order"):
                block.append(TextBlock(labels["comprehension_again_order"].format(
                    options=_lettered(again["order"], texts)), STYLES["small"]))
            block.append(TextBlock(labels["comprehension_again"].format(
                answer=again.get("chosen_text") or labels["not_answered"]), STYLES["body"]))
            block.append(TextBlock(labels["comprehension_right"], STYLES["ack"]) if again.get("correct") else
                         TextBlock(labels["comprehension_wrong"].format(answer=check.get("answer_text") or ""),
                                   STYLES["nack"]))
        story.append(KeepTogether(block))
    return story


def _lettered(order: list[str], texts: dict[str, str]) -> str:
    """Options in the order shown, lettered A, B, C as the patient saw them stacked: "A. … · B. …"."""
    return " \u00b7 ".join(f"{chr(65 + i)}. {texts.get(oid, oid)}" for i, oid in enumerate(order))


def _severity_key(severity: object) -> str:
    """Map an unknown severity to "info" styling rather than failing the whole PDF."""
    return severity if severity in SEVERITY_COLOURS else "info"


def _marker_text(severity: object, labels: dict[str, str]) -> str:
    """The bold marker a doctor scans for, e.g. "[STOP — doctor must review]"."""
    return f"[{labels.get(f'severity_{severity}', str(severity).upper())}]"


def _flags_box(flags: list[dict[str, Any]], highest: object, text_by_question: dict[Any, Any],
               labels: dict[str, str]) -> Table:
    """A coloured box listing every flag, so the doctor sees them before the answers."""
    border, background = SEVERITY_COLOURS[_severity_key(highest)]
    widest = max(pdfmetrics.stringWidth(_marker_text(f.get("severity"), labels), FONT_BOLD, VALUE_SIZE)
                 for f in flags)
    marker_w = min(widest + 2 * 7 + 4, USABLE_W * 0.4)  # text, cell padding, a little air
    title = labels["flags_box_title"].format(n=len(flags), highest=_short(highest, labels))
    rows: list[list[Any]] = [[TextBlock(title, STYLES["cell_bold"]), ""]]
    for flag in flags:
        key = _severity_key(flag.get("severity"))
        question = text_by_question.get(flag.get("question")) or labels["flag_question_unknown"].format(
            id=flag.get("question"))
        rows.append([
            TextBlock(_marker_text(flag.get("severity"), labels), STYLES[f"marker_{key}"]),
            [TextBlock(question, STYLES["cell"]), TextBlock(flag.get("reason"), STYLES[f"reason_{key}"])],
        ])
    box = Table(rows, colWidths=[marker_w, USABLE_W - marker_w], hAlign="LEFT")
    box.setStyle(TableStyle([
        ("SPAN", (0, 0), (-1, 0)),
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # cells hold TextBlocks, but reportlab sets a cell font all the same
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 1.2, border),
        ("BACKGROUND", (0, 0), (-1, -1), background),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, border),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
        ("RIGHTPADDING", (0, 0), (-1, -1), 7),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return box


def _cells_height(row: list[Any], widths: list[float], pad: float) -> float:
    """Height of a table row's tallest cell, measured as the table will wrap it."""
    tallest = 0.0
    for cell, width in zip(row, widths):
        if isinstance(cell, list):
            tallest = max(tallest, sum(block.wrap(width - pad, 1e6)[1] for block in cell))
    return tallest


def screening_section(record: Mapping[str, Any], labels: dict[str, str]) -> list[Flowable]:
    """The answers as given, flags summarised first and marked on each answer (a consent's or a check-in's)."""
    story: list[Flowable] = _outlined(heading(labels["screening"], "h2", 5 * cm), "screening", labels["screening"])
    read_in = step_language(record, "screening")
    if read_in != record.get("language"):  # the questions are printed as the patient read them
        story.append(TextBlock(labels["read_in_note"].format(language=language_name(read_in, labels)), STYLES["ack"]))
    answers: list[dict[str, Any]] = list(record.get("answers") or [])
    questions = record["texts"]["shown"].get("questions") or []
    flags: list[dict[str, Any]] = sorted(record.get("flags") or [],
                                         key=lambda flag: severity_rank(flag.get("severity")))  # worst first
    text_by_question: dict[Any, Any] = {a.get("question"): a.get("text") for a in answers}
    for q in questions:
        text_by_question.setdefault(q.get("id"), q.get("text"))
    for check in record.get("comprehension") or []:
        text_by_question.setdefault(flag_id(str(check.get("question"))), check.get("text"))

    if flags:
        highest = record.get("highest_severity") or flags[0].get("severity")
        story += [_flags_box(flags, highest, text_by_question, labels), Spacer(0, 8)]
    else:
        story.append(TextBlock(labels["no_flags"], STYLES["body"]))

    flags_by_question: dict[Any, list[dict[str, Any]]] = {}
    for flag in flags:
        flags_by_question.setdefault(flag.get("question"), []).append(flag)
    answered = {a.get("question") for a in answers}
    rows = list(answers)
    for q in questions:
        if q.get("id") not in answered and not q.get("asked_if"):  # shown but not answered: say so, do not hide it
            rows.append({"question": q.get("id"), "text": q.get("text"), "type": q.get("type"),
                         "value": None, "detail": None, "answered_at": None, "_missing": True})

    number_w, answer_w = 0.8 * cm, 4.4 * cm
    data: list[list[Any]] = [[labels["col_no"], labels["col_question"], labels["col_answer"]]]
    commands: list[tuple[Any, ...]] = header_row_table([
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED),
    ])
    numbers: dict[Any, str] = {}  # a follow-up is numbered after its question: 17, then 17a, indented under it
    follow_ups: dict[str, int] = {}
    count = 0
    for number, answer in enumerate(rows, start=1):
        parent = numbers.get(answer.get("asked_if")) if answer.get("asked_if") else None
        if parent is None:
            count += 1
            label = str(count)
        else:
            follow_ups[parent] = follow_ups.get(parent, 0) + 1
            label = f"{parent}{chr(ord('a') + follow_ups[parent] - 1)}"
            commands.append(("LEFTPADDING", (1, number), (1, number), 16))
        numbers[answer.get("question")] = label
        cell: list[Flowable] = [TextBlock(answer.get("text"), STYLES["cell"])]
        if answer.get("detail"):
            cell.append(TextBlock(labels["detail"].format(detail=printable(answer.get("detail"))),
                                   STYLES["detail"]))
        row_flags = flags_by_question.get(answer.get("question"), [])
        for flag in row_flags:
            key = _severity_key(flag.get("severity"))
            cell.append(TextBlock(_marker_text(flag.get("severity"), labels), STYLES[f"marker_{key}"]))
            cell.append(TextBlock(flag.get("reason"), STYLES[f"reason_{key}"]))
        value = (labels["not_answered"] if answer.get("_missing")
                 else describe_answer(answer, labels, day=lambda iso: format_date(iso, labels)))
        answer_cell: list[Flowable] = [TextBlock(value, STYLES["cell_bold"])]
        if answer.get("answered_at"):
            answer_cell.append(TextBlock(
                labels["answered_at"].format(time=format_datetime(answer["answered_at"], labels)), STYLES["small"]))
        data.append([label, cell, answer_cell])
        if row_flags:
            border, background = SEVERITY_COLOURS[_severity_key(row_flags[0].get("severity"))]
            commands += [("BACKGROUND", (0, number), (-1, number), background),
                         ("LINEBEFORE", (0, number), (0, number), 3, border)]
    col_widths = [number_w, USABLE_W - number_w - answer_w, answer_w]
    # Rows normally move whole to the next page (reportlab loses a split row's padding).
    # Only a row taller than a page (a very long free-text detail) must split inside itself.
    tallest = max((_cells_height(row, col_widths, pad=8) + 7 for row in data[1:]), default=0.0)
    frame_h = PAGE_SIZE[1] - MARGIN_TOP - MARGIN_BOTTOM - 12
    split_in_row = tallest > 0.8 * frame_h
    table = Table(data, colWidths=col_widths, hAlign="LEFT", splitInRow=int(split_in_row),
                  repeatRows=0 if split_in_row else 1)  # with splitInRow a repeat shows up mid-page
    table.setStyle(TableStyle(commands))
    story.append(table)
    return story


def signature_section(record: ConsentRecord, signature_png: bytes | None,
               labels: dict[str, str], signature_image: PILImage.Image | None = None) -> list[Flowable]:
    """E-sign consent first, then statement and signature kept together on one page."""
    signature = record["signature"]
    shown = record["texts"]["shown"]
    esign = record.get("esign_consent") or {}
    story: list[Flowable] = _outlined(heading(labels["consent"], "h2", 5 * cm), "consent", labels["consent"])
    story += heading(labels["esign"], "h3", 3 * cm)
    story += blocks(esign.get("statement") or shown.get("esign_statement"), STYLES["body"])
    story.append(TextBlock(labels["agreed_at"].format(time=format_datetime(esign.get("agreed_at"), labels)),
                            STYLES["ack"]))

    block: list[Flowable] = [TextBlock(labels["consent_statement"], STYLES["h3"])]
    block += blocks(record.get("consent_statement") or shown.get("consent_statement"), STYLES["body"])
    block += [Spacer(0, 6), TextBlock(labels["signature"], STYLES["key"])]
    if signature.get("method") == "typed":
        block.append(TextBlock(signature.get("typed_name") or signature.get("printed_name"),
                                STYLES["typed_sig"]))
        block.append(TextBlock(labels["typed_signature"], STYLES["small"]))
    elif signature_png:
        block += [Spacer(0, 2), signature_flowable(signature_png, signature.get("image_sha256"), signature_image)]
    elif signature.get("image_sha256"):
        raise ValueError("the record has a drawn signature (image_sha256 set) but no PNG was given")
    else:  # e.g. a layout preview: say so on the page rather than leave a silent gap
        block.append(TextBlock(labels["missing_signature"], STYLES["nack"]))
    block.append(Rule(min(SIGNATURE_MAX_W + 1 * cm, USABLE_W)))
    when = format_datetime(signature.get("signed_at"), labels)
    if signature.get("timezone"):
        when = f"{when} ({signature.get('timezone')})"
    block.append(_kv_table([
        (labels["printed_name"], signature.get("printed_name"), "bold"),
        (labels["signed_at"], when, ""),
        (labels["meaning"], "\n".join(paragraphs(signature.get("meaning"))), ""),  # reflowed as on the tablet
    ]))
    story.append(KeepTogether(block))
    return story


_STEPS_STYLE = TableStyle(header_row_table([
    ("ALIGN", (3, 0), (3, -1), "RIGHT"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED),
]))


def _steps_with_risks(steps: list[Any], record: ConsentRecord, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The wizard's steps (named in the PDF's language) with one row per risk after the risks step."""
    labels_risk = [{"step": labels["risk_step"].format(title=ack.get("title") or ack.get("id")),
                    "shown_at": ack.get("shown_at"), "completed_at": ack.get("acknowledged_at"),
                    "seconds": ack.get("seconds"), "language": ack.get("language")}
                   for ack in record.get("risks") or []]
    rows: list[dict[str, Any]] = []
    for step in steps:
        rows.append({**step, "step": step_name(str(step.get("step") or ""), labels)})
        if step.get("step") == "risks":
            rows += labels_risk
    return rows


def _qr(url: str, size: float) -> QrCode:
    """A QR code for the verification address, drawn as vectors (no image to decode), encoded once."""
    return QrCode(qr_matrix(url, "M"), size)


def verification_section(record: Mapping[str, Any], labels: dict[str, str],
                         text_key: str = "verify_text") -> list[Flowable]:
    """The verification code, address and QR code, with how to check a copy of the file."""
    verification = record.get("verification")
    code, url = (verification.get("code"), verification.get("url")) if verification else (None, None)
    story: list[Flowable] = heading(labels["verify"], "h2", 5 * cm)
    if code and url:
        link = f"{url}?code={code}"
        qr_w = 3.0 * cm
        table = _kv_table([(labels["verification_code"], code, "bold"), (labels["verification_url"], link, "")],
                          4.8 * cm - qr_w / 2, USABLE_W - qr_w)
        story.append(Table([[_qr(link, 2.6 * cm), table]], colWidths=[qr_w, USABLE_W - qr_w],
                           hAlign="LEFT", style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                                                 ("FONTNAME", (0, 0), (-1, -1), FONT),  # not Helvetica
                                                 ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story.append(Spacer(0, 4))
        story += blocks(labels["verify_seal"], STYLES["body"])
    story += blocks(labels[text_key], STYLES["body"])
    return story


def audit_section(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """The last page: versions, fingerprints and the process trail, for a later check."""
    texts = record["texts"]
    signature = record["signature"]
    trail = record.get("trail") or {}
    none = labels["none"]

    def val(value: object) -> object:
        return value if value not in (None, "") else none

    story: list[Flowable] = _outlined([PageBreak(), TextBlock(labels["audit"], STYLES["title"])], "audit",
                                      labels["audit"])
    story += heading(labels["audit_record"], "h2", 3 * cm)
    method = signature.get("method")
    story.append(_kv_table([
        (labels["document_id"], val(record.get("document_id")), "bold"),
        (labels["created_at"], val(format_datetime(record.get("created_at"))), ""),
        (labels["language"], val(language_name(record.get("language", ""), labels, alone=True)), ""),
        (labels["texts_version"], val(texts.get("version")), ""),
        (labels["common_version"], val(texts.get("common_version")), ""),
        (labels["rules_version"], val(texts.get("rules_version")), ""),
        (labels["texts_sha256"], val(texts.get("sha256")), "hash"),
        (labels["signature_method"], val(labels.get(f"method_{method}", method)), ""),
        (labels["signature_sha256"], val(signature.get("image_sha256")), "hash"),
    ], 4.8 * cm))

    story += heading(labels["trail"], "h2", 3 * cm)
    story.append(_kv_table([
        (labels["draft_started_at"], val(format_datetime(trail.get("draft_started_at"))), ""),
        (labels["started_by"], val(started_by(trail.get("started_by"), labels)), ""),
        (labels["device_label"], val(trail.get("device_label")), ""),
        (labels["ip_address"], val(trail.get("ip_address")), ""),
        (labels["opened_with"], val(_opened_with(trail, labels)), ""),
        (labels["opened_at"], val(format_datetime(trail.get("opened_at"))), ""),
        (labels["user_agent"], val(trail.get("user_agent")), ""),
    ], 4.8 * cm))
    steps = trail.get("steps") or []
    if steps:
        widths = [3.4 * cm, 5.8 * cm, 5.8 * cm, USABLE_W - 3.4 * cm - 2 * 5.8 * cm]
        data: list[list[str]] = [[labels[k] for k in ("col_step", "col_shown", "col_completed", "col_seconds")]]
        for step in _steps_with_risks(steps, record, labels):
            seconds = step.get("seconds")
            name = str(val(step.get("step")))
            if step.get("language") and step["language"] != record.get("language"):
                name += f" [{step['language']}]"  # read in another language: the code, named in the table below
            cells = [name, val(format_datetime(step.get("shown_at"), labels)),
                     val(format_datetime(step.get("completed_at"), labels)),
                     f"{seconds:.1f}" if isinstance(seconds, (int, float)) else none]
            data.append([wrap_plain(c, FONT, VALUE_SIZE, w - CELL_PAD) for c, w in zip(cells, widths)])
        story += [Spacer(0, 8), Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", style=_STEPS_STYLE)]
    story += language_switches_section(trail, labels)
    story += _corrections(trail.get("corrections") or [], labels)

    story += verification_section(record, labels)
    return story


def language_switches_section(trail: Mapping[str, Any], labels: dict[str, str]) -> list[Flowable]:
    """Each switch of language with its time, so the trail shows when the patient read what in which language."""
    switches = trail.get("language_switches")
    if switches is None:  # records from before switches were kept say nothing either way
        return []
    story: list[Flowable] = heading(labels["language_switches"], "h3", 2 * cm)
    if not switches:
        return story + [TextBlock(labels["no_language_switches"], STYLES["small"])]
    widths = [5.8 * cm, USABLE_W - 5.8 * cm]
    data = [[labels["col_switch_at"], labels["col_switch"]]]
    for switch in switches:
        value = labels["switch_value"].format(from_language=language_name(str(switch.get("from_language")), labels),
                                              to_language=language_name(str(switch.get("to_language")), labels))
        data.append([wrap_plain(c, FONT, VALUE_SIZE, w - CELL_PAD)
                     for c, w in zip((format_datetime(switch.get("at"), labels), value), widths)])
    return story + [Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", style=_STEPS_STYLE)]


def _corrections(corrections: Sequence[Mapping[str, Any]], labels: dict[str, str]) -> list[Flowable]:
    """Every name, birth date or initials the patient corrected, with the time: nothing changed leaves no trace."""
    if not corrections:
        return []
    widths = [3.4 * cm, 4.6 * cm, (USABLE_W - 8 * cm) / 2, (USABLE_W - 8 * cm) / 2]
    data = [[labels[k] for k in ("col_corrected", "col_at", "col_from", "col_to")]]
    for c in corrections:
        cells = [labels.get(f"corrected_{c.get('what')}", str(c.get("what"))), format_datetime(c.get("at"), labels),
                 str(c.get("from") or labels["none"]), str(c.get("to") or labels["none"])]
        data.append([wrap_plain(cell, FONT, VALUE_SIZE, w - CELL_PAD) for cell, w in zip(cells, widths)])
    return [*heading(labels["corrections"], "h2", 3 * cm), Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT",
                                                                  style=_STEPS_STYLE)]


kv_table = _kv_table  # public name for the course PDFs (kiosk.documents.pdf.checkin), which lay out the same rows


def _opened_with(trail: Mapping[str, Any], labels: dict[str, str]) -> str | None:
    """How the patient's session reached the tablet: which one-time code, or the desk's own device."""
    if trail.get("opened_with_code"):
        return labels["opened_with_code"].format(code=trail["opened_with_code"])
    if trail.get("opened_on") == "desk device":
        return labels["opened_on_desk"]
    return None


def people_section(record: ConsentRecord, labels: dict[str, str],
                   pngs: Mapping[str, bytes | None]) -> list[Flowable]:
    """The representative's consent, then the interpreter's and the witness's statements, each with its signature."""
    words = {**labels, **people_labels(record.get("language"))}
    story: list[Flowable] = []
    rep = record.get("representative")
    if rep:
        story += blocks(record.get("assent_note") or words["patient_assent"], STYLES["small"])
        patient = rep["consents_for"]
        story += _signed_block(words["representative"], rep["signature"], pngs.get("representative"), words, [
            (words["consents_for"], words["consents_for_value"].format(
                name=patient["full_name"], dob=format_date(patient["date_of_birth"], labels)), "bold"),
            (words["relationship"], words.get(f"relationship_{rep['relationship']}", rep["relationship"]), ""),
            (words["represent_reason"], words.get(f"represent_reason_{rep['reason']}", rep["reason"]), ""),
            (words["representative_identity_check"], rep.get("identity_check") or words["not_checked"], ""),
        ])
    interpreter = record.get("interpreter")
    if interpreter:
        story += _signed_block(words["interpreter"], interpreter["signature"], pngs.get("interpreter"), words,
                               [(words["interpreted_into"], interpreter["language"], "")])
    witness = record.get("witness")
    if witness:
        story += _signed_block(words["witness"], witness["signature"], pngs.get("witness"), words, [])
    return story


def _signed_block(title: str, signature: Mapping[str, Any], png: bytes | None, labels: dict[str, str],
                  rows: list[tuple[str, object, str]]) -> list[Flowable]:
    """One person's statement and signature, kept together on a page like the patient's."""
    block: list[Flowable] = [TextBlock(title, STYLES["h3"])]
    block += blocks(signature.get("statement"), STYLES["body"])
    block += [Spacer(0, 6), TextBlock(labels["signature"], STYLES["key"])]
    if signature.get("method") == "typed":
        block.append(TextBlock(signature.get("typed_name") or signature.get("printed_name"), STYLES["typed_sig"]))
        block.append(TextBlock(labels["typed_signature"], STYLES["small"]))
    elif png:
        block += [Spacer(0, 2), signature_flowable(png, signature.get("image_sha256"))]
    else:
        raise ValueError("the record has a drawn countersignature but no PNG was given")
    block.append(Rule(min(SIGNATURE_MAX_W + 1 * cm, USABLE_W)))
    when = format_datetime(signature.get("signed_at"), labels)
    if signature.get("timezone"):
        when = f"{when} ({signature.get('timezone')})"
    block.append(_kv_table([(labels["printed_name"], signature.get("printed_name"), "bold"), *rows,
                            (labels["signed_at"], when, "")]))
    return [KeepTogether(block)]
