"""The doctors' review queue, and each listed consent's readiness (the rule itself is kiosk.rules.readiness)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from kiosk.consent import queries as consents
from kiosk.core.dates import clinic_day_range
from kiosk.core.folding import fold_name
from kiosk.core.models import Consent, ConsentFlag, Decision
from kiosk.core.db import NotForSeeking
from kiosk.documents.record import COMPREHENSION_FLAG_PREFIX, severity_rank
from kiosk.rules.readiness import NEEDS_DOCTOR, Readiness, readiness

PER_PAGE = 25
QUEUE_STATUSES = ("submitted", "reviewed", "withdrawn", "any")
# what each queue filter lists: "Awaiting review" is every consent that still needs a doctor, a consultation included
QUEUE_FILTER_STATUSES = {"submitted": ("submitted", "consultation"), "reviewed": ("reviewed",), "withdrawn": ("withdrawn",),
                         "any": ("submitted", "consultation", "reviewed", "withdrawn")}  # to find a patient by name

# --------------------------------------------------------------------------
# Readiness (the rule is kiosk.rules.readiness; these read its facts from the database)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LatestDecision:
    decision: str
    at: datetime  # UTC as stored
    note: str | None


def _latest_decisions(session: Session, consent_ids: list[int]) -> dict[int, LatestDecision]:
    """The newest decision per consent, in one query for a whole page of consents."""
    if not consent_ids:
        return {}
    newest = (select(func.max(Decision.id)).join(Consent, Consent.document_id == Decision.document_id)
              .where(Consent.id.in_(consent_ids)).group_by(Decision.document_id))
    rows = session.execute(select(Consent.id, Decision.decision, Decision.at, Decision.note)
                           .join(Consent, Consent.document_id == Decision.document_id)
                           .where(Decision.id.in_(newest.scalar_subquery())))
    return {consent_id: LatestDecision(decision, at, note) for consent_id, decision, at, note in rows}


def _with_representative(session: Session, consent_ids: list[int]) -> set[int]:
    """Which of a page of consents a representative signed, read from the record's one key (not the whole record)."""
    if not consent_ids:
        return set()
    return set(session.scalars(select(Consent.id).where(Consent.id.in_(consent_ids),
                                                         Consent.record["representative"].as_string().is_not(None))))


def _flagged_questions(session: Session, consent_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The stop and review flags of a page of consents, worst first, in one query; every wrong comprehension
    answer counts as the one flag "comprehension" (the row names what to look at, the page says which)."""
    if not consent_ids:
        return {}
    found: dict[int, list[str]] = {}
    rows = session.execute(select(ConsentFlag.consent_id, ConsentFlag.question, ConsentFlag.severity)
                           .where(ConsentFlag.consent_id.in_(consent_ids), ConsentFlag.severity.in_(("stop", "review")))
                           .order_by(ConsentFlag.consent_id, ConsentFlag.id))
    for consent_id, question, _severity in sorted(rows, key=lambda r: (r[0], severity_rank(r[2]))):
        name = "comprehension" if question.startswith(COMPREHENSION_FLAG_PREFIX) else question
        if name not in found.setdefault(consent_id, []):
            found[consent_id].append(name)
    return {consent_id: tuple(names) for consent_id, names in found.items()}


def consent_readiness(consent: Consent) -> Readiness:
    """Readiness of one loaded consent."""
    decision = consent.reviews[-1].decision if consent.reviews else None
    return readiness(consent.status, consent.severity_rank, decision)


def staff_list(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """The /staff list (newest first) with each consent's readiness added."""
    rows = consents.list_consents(session, limit=limit)
    ids = dict(session.execute(select(Consent.document_id, Consent.id)
                               .where(Consent.document_id.in_([r["id"] for r in rows]))).all()) if rows else {}
    decisions = _latest_decisions(session, list(ids.values()))
    for row in rows:
        latest = decisions.get(ids.get(row["id"], -1))
        row["readiness"] = readiness(row["status"], severity_rank(row["highest_severity"]),
                                     latest.decision if latest else None)
    return rows


# --------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the doctor narrowed the queue to; values the form could not read are already left out."""

    status: str = "submitted"
    modality: str | None = None
    date_from: date | None = None  # clinic-local dates, both ends included
    date_to: date | None = None
    name: str | None = None


@dataclass(frozen=True)
class QueueRow:
    document_id: str
    created_at: datetime  # in the clinic's time zone
    patient_name: str
    date_of_birth: date
    modality: str
    highest_severity: str | None
    status: str
    readiness: Readiness
    consultation_at: datetime | None = None  # when a doctor asked for the consultation still open (clinic zone)
    consultation_note: str | None = None
    flagged: tuple[str, ...] = ()  # the flagged questions (or rules), worst first: the row names them in short words
    representative: bool = False  # a representative consented for the patient (a minor, or one who cannot decide alone)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    per_page: int
    asked_page: int  # differs from page when the page asked for does not exist


def name_condition(name: str) -> ColumnElement[bool]:
    """Match a name the way a desk types it: no accents, any case, punctuation and spaces left out.

    Both sides fold through kiosk.core.folding ("maría-josé" and "Maria Jose" both read "mariajose"), the
    stored side once, on insert, into patient_name_folded. A leading-wildcard LIKE cannot seek, so the indexes
    a list is read in (the queue's, by status; ix_consents_created_at, newest first) end with the folded name:
    the match is checked on the index entry while the list is read in its own order, a table row is read only
    for a match, and a first page stops at its last row. Text with no letter or digit matches nobody.
    """
    folded = fold_name(name)
    # folded text holds letters and digits only, so no LIKE wildcard can come from the user
    return Consent.patient_name_folded.like(f"%{folded}%") if folded else false()


def _conditions(session: Session, filters: QueueFilter, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters; status comes first so the queue index is used."""
    status = filters.status if filters.status in QUEUE_STATUSES else "submitted"
    conditions: list[ColumnElement[bool]] = [Consent.status.in_(QUEUE_FILTER_STATUSES[status])]
    if status == "submitted":  # the working list: only what needs a doctor (a clean consent is ready without one)
        # each side of the OR is one range of the queue indexes: (submitted, rank <= review) and (consultation)
        conditions.append(or_(and_(Consent.status == "submitted", Consent.severity_rank <= NEEDS_DOCTOR),
                              Consent.status == "consultation"))
    if filters.modality:
        conditions.append(Consent.modality == filters.modality)
    start, end = clinic_day_range(filters.date_from, filters.date_to, tz)
    signed = NotForSeeking(Consent.created_at)  # the status range above is the index to read (kiosk.core.db)
    if start is not None:
        conditions.append(signed >= start)
    if end is not None:
        conditions.append(signed < end)
    if filters.name:
        conditions.append(name_condition(filters.name))
    return conditions


QUEUE_ORDER = (Consent.severity_rank, Consent.created_at.desc())


def _rows_query(conditions: list[ColumnElement[bool]], limit: int, offset: int) -> Select[*tuple[Any, ...]]:
    """One page of queue rows, most urgent then newest first.

    The page's ids are found first, from ix_consents_queue alone when only status and dates filter;
    only those rows are then read, and only the columns a row shows (not the record or the signature).
    Deep pages therefore skip index entries, not wide table rows.
    """
    page_ids = (select(Consent.id).where(*conditions).order_by(*QUEUE_ORDER).limit(limit).offset(offset)
                .correlate(None))
    return (select(Consent.id, Consent.document_id, Consent.created_at, Consent.patient_name,
                   Consent.date_of_birth, Consent.modality, Consent.highest_severity, Consent.severity_rank,
                   Consent.status)
            .where(Consent.id.in_(page_ids))
            .order_by(*QUEUE_ORDER))


def queue_query(session: Session, filters: QueueFilter, tz: ZoneInfo, page: int = 1) -> Select[*tuple[Any, ...]]:
    """The statement behind one queue page (for EXPLAIN QUERY PLAN in the bench)."""
    return _rows_query(_conditions(session, filters, tz), PER_PAGE, (max(page, 1) - 1) * PER_PAGE)


def queue(session: Session, filters: QueueFilter, *, page: int, tz: ZoneInfo, per_page: int = PER_PAGE) -> QueuePage:
    """One page of the review queue; a page past the end gives the last page, never an error."""
    conditions = _conditions(session, filters, tz)
    total = session.scalar(select(func.count()).select_from(Consent).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    current = min(max(page, 1), pages)
    found = session.execute(_rows_query(conditions, per_page, (current - 1) * per_page)).all()
    decisions = _latest_decisions(session, [r.id for r in found if r.status in ("reviewed", "consultation")])
    flagged = _flagged_questions(session, [r.id for r in found if r.highest_severity in ("stop", "review")])
    represented = _with_representative(session, [r.id for r in found])
    rows = []
    for r in found:
        latest = decisions.get(r.id)
        open_consultation = latest if r.status == "consultation" and latest is not None else None
        rows.append(QueueRow(
            document_id=r.document_id, created_at=r.created_at.astimezone(tz), patient_name=r.patient_name,
            date_of_birth=r.date_of_birth, modality=r.modality, highest_severity=r.highest_severity, status=r.status,
            readiness=readiness(r.status, r.severity_rank, latest.decision if latest else None),
            consultation_at=open_consultation.at.astimezone(tz) if open_consultation else None,
            consultation_note=open_consultation.note if open_consultation else None,
            flagged=flagged.get(r.id, ()), representative=r.id in represented))
    return QueuePage(rows=rows, total=total, page=current, pages=pages, per_page=per_page, asked_page=page)


# --------------------------------------------------------------------------
# One consent, as the doctor reads it
