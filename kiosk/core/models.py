"""Database tables: drafts in progress, signed consents and check-ins with their sealed documents, and staff."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, LargeBinary, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.db import Base, UTCDateTime, utcnow
from kiosk.core.folding import fold_name


class Site(Base):
    """One clinic of a chain: its patients, staff and documents are its own; a single clinic has exactly one."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # short, typed in commands: madrid, valencia
    # printed on its documents; each left empty follows the app's settings (KIOSK_CLINIC_NAME, KIOSK_CLINIC_ADDRESS,
    # KIOSK_CLINIC_TIMEZONE, KIOSK_PUBLIC_URL), as the one site of a single clinic does (kiosk.core.web.clinic)
    name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    timezone: Mapped[str | None] = mapped_column(String(64))
    public_url: Mapped[str | None] = mapped_column(String(300))
    # its own consent_texts/ folder (absolute path); empty: the installation's KIOSK_CONSENT_TEXTS_DIR
    texts_dir: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# the sites a member of staff works at: a desk one, a doctor those they are assigned to (admins see all anyway)
staff_sites = Table(
    "staff_sites", Base.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("site_id", ForeignKey("sites.id"), primary_key=True, index=True),
)


class Draft(Base):
    """A patient's consent in progress, kept on the server and reached only through its random token."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted | cancelled
    # set when the front desk starts the session: who it is for, what was planned, by whom
    desk_name: Mapped[str | None] = mapped_column(String(200))
    planned_modality: Mapped[str | None] = mapped_column(String(40))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)  # the clinic whose session this is
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_by: Mapped[str] = mapped_column(String(80), default="tablet")
    device_label: Mapped[str | None] = mapped_column(String(80))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    site: Mapped[Site] = relationship()
    consent: Mapped[Consent | None] = relationship(back_populates="draft")
    codes: Mapped[list[TabletCode]] = relationship(back_populates="draft", order_by="TabletCode.id")


def _folded_patient_name(context: Any) -> str:
    """The insert's patient_name folded for search, so no writer can forget the search column."""
    return fold_name(context.get_current_parameters()["patient_name"])


class Consent(Base):
    """A signed consent. The record is written once and never edited; later events are new rows."""

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_created_at", "created_at", "patient_name_folded"),  # the desk's find, newest first
        Index("ix_consents_patient_name", "patient_name"),
        # the id rides along so a name search reads this index alone (SQLite's indexes hold the row id anyway)
        Index("ix_consents_patient_name_folded", "patient_name_folded", postgresql_include=["id"]),
        # the folded name rides along so a name search in the queue reads only the rows of its status, from here
        # (kiosk.review.queue.name_condition)
        Index("ix_consents_queue", "status", "severity_rank", text("created_at DESC"), "patient_name_folded"),
        Index("ix_consents_queue_modality", "status", "modality", "severity_rank", text("created_at DESC"),
              "patient_name_folded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)  # where it was signed: its draft's site
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    patient_name: Mapped[str] = mapped_column(String(200))
    # the name as searched (kiosk.core.folding), filled from patient_name on insert; names are never edited
    patient_name_folded: Mapped[str] = mapped_column(String(200), default=_folded_patient_name)
    date_of_birth: Mapped[date] = mapped_column(Date)
    modality: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    highest_severity: Mapped[str | None] = mapped_column(String(8))
    # 0 stop, 1 review, 2 info, 3 nothing: the doctors' queue sorts on it through an index
    severity_rank: Mapped[int] = mapped_column(default=3)
    texts_version: Mapped[str] = mapped_column(String(40))
    texts_sha256: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(40))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)

    document: Mapped[Document] = relationship(lazy="joined", innerjoin=True)
    site: Mapped[Site] = relationship()
    draft: Mapped[Draft] = relationship(back_populates="consent")
    flags: Mapped[list[ConsentFlag]] = relationship(back_populates="consent", order_by="ConsentFlag.id")
    events: Mapped[list[ConsentEvent]] = relationship(back_populates="consent", order_by="ConsentEvent.id")
    checkins: Mapped[list[Checkin]] = relationship(back_populates="consent", order_by="Checkin.id")
    sessions: Mapped[list[TreatmentSession]] = relationship(back_populates="consent", order_by="TreatmentSession.id")

    @property
    def verification_code(self) -> str | None:
        """The code printed on every page; /verify?code=... finds the document (None for consents before 0004)."""
        return self.document.verification_code

    @property
    def documents(self) -> list[DocumentRevision]:
        """The consent's PDF revisions, oldest first: the patient-signed original is revision 1."""
        return self.document.revisions

    @property
    def reviews(self) -> list[Decision]:
        """The doctors' decisions on this consent, oldest first; the newest one counts."""
        return self.document.decisions


class ConsentFlag(Base):
    """One raised flag, as its own row so doctors' queues can filter and sort by severity."""

    __tablename__ = "consent_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    question: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)

    consent: Mapped[Consent] = relationship(back_populates="flags")


class Document(Base):
    """One thing the clinic signs and seals (a consent or a check-in), with one id, one code and its revisions.

    The id is the public document id printed on every page. Revisions are added in order (the patient's
    signature first, then doctors' decisions, a withdrawal, ...); none is ever replaced or edited.
    """

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # consent | checkin
    # printed on every page of the PDF; /verify?code=... finds the document (null for PDFs sealed without one)
    verification_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    revisions: Mapped[list[DocumentRevision]] = relationship(back_populates="document",
                                                             order_by="DocumentRevision.revision")
    decisions: Mapped[list[Decision]] = relationship(back_populates="document", order_by="Decision.id")


class DocumentRevision(Base):
    """A PDF revision with its hash; each later one holds the earlier one's bytes and adds a sealed update."""

    __tablename__ = "document_revisions"
    __table_args__ = (UniqueConstraint("document_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    revision: Mapped[int] = mapped_column()  # 1 is the patient-signed original
    kind: Mapped[str] = mapped_column(String(24))  # patient_signed | doctor_review | withdrawal
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # /verify finds an uploaded file by it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="revisions")


class Decision(Base):
    """A doctor's signed decision on a consent or a check-in, confirmed with their password; the newest counts."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    doctor_name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))  # cleared | not_cleared | consultation | representative
    note: Mapped[str | None] = mapped_column(Text)
    meaning: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the sealed revision that carries it; null only for check-in decisions made before they were sealed (0013)
    document_revision: Mapped[int | None] = mapped_column()

    document: Mapped[Document] = relationship(back_populates="decisions")


class ConsentEvent(Base):
    """The consent's status history (submitted, reviewed, withdrawn), each with who and when."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    consent: Mapped[Consent] = relationship(back_populates="events")


class User(Base):
    """A staff login; patients never have accounts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # frontdesk | doctor | admin
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))  # the staff pages' language; None: the clinic's default
    sites: Mapped[list[Site]] = relationship(secondary=staff_sites, order_by="Site.id")

    # Flask-Login protocol, kept here to avoid a wrapper class
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class StaffSession(Base):
    """One staff sign-in, held on the server, so signing out or a new password ends every copy of its cookie."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # the cookie holds the token, never this
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the idle clock, shared by every copy
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(24))  # signed_out | idle | password_changed | handed_over


class TabletCode(Base):
    """A short one-time code the desk reads out so a patient can open their session on the tablet."""

    __tablename__ = "tablet_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    draft: Mapped[Draft] = relationship(back_populates="codes")


class Attempt(Base):
    """Login and tablet-code tries, kept in the database so limits hold across processes and hosts."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_kind_subject_at", "kind", "subject", "at"),
                      Index("ix_attempts_kind_ip_at", "kind", "ip_address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # login | code
    subject: Mapped[str | None] = mapped_column(String(254))  # the email tried, for logins
    ip_address: Mapped[str | None] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Append-only audit log: the database refuses UPDATE and DELETE on this table (see migration 0002)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"), Index("ix_audit_events_action", "action"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(254))  # staff email, "patient", "tablet" or "cli"
    action: Mapped[str] = mapped_column(String(40))
    # no foreign key (0016): the log keeps the number of a consent removed after its retention period
    consent_id: Mapped[int | None] = mapped_column(index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Checkin(Base):
    """The patient's answers before a later session of a course, signed on the tablet; it belongs to one consent."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_queue", "status", "severity_rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), unique=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    # the tablet reaches the check-in through this draft's random token and the desk's one-time code
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)  # where it happens: its draft's site
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted | reviewed
    modality: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    highest_severity: Mapped[str | None] = mapped_column(String(8))
    severity_rank: Mapped[int] = mapped_column(default=3)
    texts_version: Mapped[str | None] = mapped_column(String(40))
    texts_sha256: Mapped[str | None] = mapped_column(String(64))
    rules_version: Mapped[str | None] = mapped_column(String(40))
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship(lazy="joined", innerjoin=True)
    consent: Mapped[Consent] = relationship(back_populates="checkins")
    site: Mapped[Site] = relationship()
    draft: Mapped[Draft] = relationship()

    @property
    def revisions(self) -> list[DocumentRevision]:
        """The check-in's PDF revisions, oldest first (none until the patient signs)."""
        return self.document.revisions

    @property
    def reviews(self) -> list[Decision]:
        """The doctors' decisions on this check-in, oldest first; the newest one counts."""
        return self.document.decisions

    @property
    def pdf(self) -> bytes | None:
        """The newest revision's bytes, which hold the patient-signed original; None until signed."""
        return self.document.revisions[-1].pdf if self.document.revisions else None

    @property
    def pdf_sha256(self) -> str | None:
        """The SHA-256 of the newest revision."""
        return self.document.revisions[-1].sha256 if self.document.revisions else None


class TreatmentSession(Base):
    """A session that took place, as the doctor recorded it: what was done, with what, and the numbing cream."""

    __tablename__ = "treatment_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"), unique=True)  # none for the first
    number: Mapped[int] = mapped_column()
    session_date: Mapped[date] = mapped_column(Date)
    area: Mapped[str] = mapped_column(Text)
    settings: Mapped[str] = mapped_column(Text)  # device settings or product and dose
    anaesthetic_applied_by: Mapped[str | None] = mapped_column(String(200))
    anaesthetic_minutes: Mapped[int | None] = mapped_column()
    anaesthetic_product: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consent: Mapped[Consent] = relationship(back_populates="sessions")


class LegalHold(Base):
    """An admin's hold on a consent (and its check-ins): while it is active, retention removes nothing of it."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(254))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(254))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RemovedDocument(Base):
    """The tombstone of a document removed after its retention period: ids, SHA-256s and dates, no personal data."""

    __tablename__ = "removed_documents"

    document_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # consent | checkin
    consent_document_id: Mapped[str] = mapped_column(String(32))  # the consent it belonged to (itself for a consent)
    sha256s: Mapped[list[str]] = mapped_column(JSON)  # each revision's, in order
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_by: Mapped[str] = mapped_column(String(254))


class PhotoConsent(Base):
    """The patient's choice of what photos of them may be used for; the newest counts, each is a sealed revision."""

    __tablename__ = "photo_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    uses: Mapped[list[str]] = mapped_column(JSON)  # record | teaching | publicity; empty: no photos at all
    source: Mapped[str] = mapped_column(String(16))  # tablet (the patient) | desk (recorded by staff)
    recorded_by: Mapped[str] = mapped_column(String(254))  # "patient" or the staff member's email
    document_revision: Mapped[int] = mapped_column()  # the sealed revision of the consent's document that carries it
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Photo(Base):
    """A treatment photo taken at a session: re-encoded without metadata; its bytes live in a PhotoStore by key."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    area: Mapped[str] = mapped_column(String(40))  # one of the consent's areas
    view: Mapped[str] = mapped_column(String(16))  # front | left | right | back | close_up
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored (re-encoded) bytes
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size: Mapped[int] = mapped_column()
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    taken_by_name: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the bytes are gone; the row keeps the hash
    deleted_by: Mapped[str | None] = mapped_column(String(254))

    session: Mapped[TreatmentSession] = relationship()


class PhotoBlob(Base):
    """The database's photo store (kiosk.photos.storage.DatabaseStore): bytes by key, nothing else."""

    __tablename__ = "photo_blobs"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class OneTimeSend(Base):
    """A copy emailed to a patient at most once (their signed consent, a session's aftercare sheet).

    The row is claimed before the email goes (kiosk.core.once): two taps at the same moment cannot both send, since
    the second insert meets the unique constraint; a send that fails gives its claim back.
    """

    __tablename__ = "one_time_sends"
    __table_args__ = (UniqueConstraint("consent_id", "kind", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    kind: Mapped[str] = mapped_column(String(32))  # copy_email | aftercare_email
    item: Mapped[int] = mapped_column()  # 0 for the consent's copy; the session's number for an aftercare sheet
    at: Mapped[datetime] = mapped_column(UTCDateTime)
