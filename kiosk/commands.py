"""Command-line administration: checking texts, dry-running rules, demo data, listing and exporting consents.

Every failure is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError
from flask.cli import with_appcontext

from kiosk.core import audit
from kiosk.consent import queries as consents
from kiosk.consent.export import fhir_bundle
from kiosk import demo
from kiosk.verify import service as public_verify
from kiosk.documents import signing_keys
from kiosk.documents.sealing import SealKeyError
from kiosk.documents.verification import BOUNDS
from kiosk.core.vocabulary import DOCUMENT_KIND_LABELS, REVISION_KIND_LABELS
from kiosk.staff.commands import (assign_site_command, create_site_command, create_user_command, edit_site_command,
                                  sites_command)
from kiosk.keeping import archive as keeping_archive
from kiosk.keeping import backup as keeping_backup
from kiosk.keeping import retention
from kiosk.staff import sites as staff_sites
from kiosk.texts.folders import check_site_folder
from kiosk.texts.model import TextsError
from kiosk.core.dates import clinic_day_range
from kiosk.core.extensions import db
from kiosk.core.migrate import upgrade
from kiosk.rules.screening import ScreeningError, parse_date, screen
from kiosk.core.web import clinic, clinic_now, current_texts, seal_key, trusted_certificates


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def register_commands(app: Flask) -> None:
    """Attach the commands to `flask --app app ...`."""
    for command in (check_texts, screen_command, seed_demo, list_consents, export, db_upgrade,
                    create_user_command, init_signing_key, verify_command, create_site_command, edit_site_command,
                    assign_site_command, sites_command, backup_command, restore_command, archive_command,
                    retention_command, legal_hold_command):
        app.cli.add_command(command)


@click.command("check-texts")
@with_appcontext
def check_texts() -> None:
    """Validate consent_texts/ (the app refuses to start when they are wrong) and print each version."""
    texts = current_texts()
    click.echo(f"rules.yaml: version {texts.rules.version}, {len(texts.rules.questions)} questions")
    for language in sorted(texts.languages):
        for modality in texts.rules.modalities:
            ref = texts.reference(language, modality)
            click.echo(f"{language}/{modality}: version {ref['version']} sha256 {ref['sha256']}")
    try:
        own = [site for site in staff_sites.all_sites(db.session) if site.texts_dir]
    except SQLAlchemyError:  # no database yet (a fresh checkout): only the installation's folder to check
        own = []
    for site in own:  # a chain's site with its own folder (edit-site --texts): held to the same checks
        try:
            check_site_folder(site.texts_dir or "", texts)
        except TextsError as exc:
            _fail(f"site {site.code}: the texts in {site.texts_dir} have errors:\n{exc}")
        click.echo(f"site {site.code}: its own texts in {site.texts_dir} OK")
    click.echo("consent texts OK")


@click.command("screen")
@with_appcontext
@click.argument("modality")
@click.argument("answers_file", metavar="ANSWERS.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Visit date to judge by (default: today at the clinic).")
@click.option("--language", metavar="LANG", default="en", show_default=True,
              help="Write each flag's reason as a consent in this language would (consent_texts/LANG/reasons.yaml).")
def screen_command(modality: str, answers_file: Path, as_of: str | None, language: str) -> None:
    """Dry-run the screening rules on a JSON file of answers plus date_of_birth (and optionally planned_modality)."""
    if language not in current_texts().languages:
        _fail(f"--language {language}: no consent texts in that language "
              f"(there are: {', '.join(sorted(current_texts().languages))})", 2)
    try:
        raw = answers_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {answers_file}: {getattr(exc, 'strerror', None) or exc}", 2)
    try:
        answers = json.loads(raw)
    except json.JSONDecodeError as exc:
        _fail(f"{answers_file} is not valid JSON: {exc.msg} at line {exc.lineno}", 2)
    if not isinstance(answers, dict):
        _fail(f"{answers_file} must hold a JSON object mapping question ids to answers", 2)
    visit = clinic_now().date()
    if as_of is not None:
        try:
            visit = parse_date("--as-of", as_of)
        except ScreeningError as exc:
            _fail(str(exc), 2)
    answers = dict(answers)
    if "date_of_birth" not in answers:
        _fail("date_of_birth: missing (needed for the rules on age)", 2)
    date_of_birth = answers.pop("date_of_birth")
    planned = answers.pop("planned_modality", None)
    try:
        flags = screen(current_texts().rules_in(language), modality, answers, date_of_birth, visit, planned)
    except ScreeningError as exc:
        _fail(str(exc), 2)
    click.echo(json.dumps({"modality": modality, "flags": flags}, ensure_ascii=False, indent=2))


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo clinic: staff logins (new passwords printed each run) and a few consents."""
    upgrade(current_app.config["DATABASE_URL"])
    try:
        key = seal_key()
    except SealKeyError as exc:
        _fail(str(exc))
    logins, created = demo.seed_demo(db.session, texts=current_texts(), clinic=clinic(), seal_key=key, now=clinic_now())
    click.echo(f"Demo clinic ready: {created} new demo consents.")
    click.echo("Staff logins (passwords are new each time seed-demo runs):")
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<24} password: {login.password}")
    click.echo("Sign in at /login as the front desk to start a patient session; type its code on the tablet at /.")


@click.command("consents")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_consents(as_json: bool) -> None:
    """List signed consents, newest first."""
    rows = consents.list_consents(db.session)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No consents yet.")
    for row in rows:
        click.echo(f"{row['id']}  {row['created_at'][:16]}  {row['modality']:<20} "
                   f"{row['highest_severity'] or '-':<7} {row['status']:<10} {row['patient_name']}")


@click.command("export")
@with_appcontext
@click.argument("document_id")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the stored PDF here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the full record here.")
@click.option("--fhir", "fhir_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the consent as a FHIR R4 Bundle (its status, answers, flags, decisions, revisions) here.")
def export(document_id: str, pdf_path: Path | None, json_path: Path | None, fhir_path: Path | None) -> None:
    """Write a consent's stored PDF byte for byte, its full record as JSON, and/or what the clinic knows as FHIR."""
    if pdf_path is None and json_path is None and fhir_path is None:
        _fail("say where to write: --pdf OUT.pdf, --json OUT.json and/or --fhir OUT.json", 2)
    try:
        consent = consents.get_consent(db.session, document_id)
    except consents.ConsentNotFound:
        _fail(f"no consent with document id {document_id!r} (see `flask --app app consents`)")
    outputs: list[tuple[Path, bytes]] = []
    if pdf_path is not None:
        outputs.append((pdf_path, consents.latest_document(consent).pdf))
    if json_path is not None:
        body: Any = consents.export_record(consent)
        outputs.append((json_path, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")))
    if fhir_path is not None:
        bundle = fhir_bundle(db.session, consent.document_id, texts=current_texts(), now=clinic_now(),
                             months=int(current_app.config["CONSENT_VALID_MONTHS"]))
        outputs.append((fhir_path, json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")))
    for path, payload in outputs:
        try:
            path.write_bytes(payload)
        except OSError as exc:
            _fail(f"cannot write {path}: {exc.strerror or exc}")
        click.echo(f"wrote {path}")
    audit.record(db.session, audit.Who(actor="cli"), "export", consent_id=consent.id, target=consent.document_id,
                 detail={"files": [str(path) for path, _ in outputs]})


@click.command("init-signing-key")
@with_appcontext
def init_signing_key() -> None:
    """Make a self-signed seal (PKCS#12) at KIOSK_SIGNING_KEY_FILE for a new clinic or a demo."""
    config = current_app.config
    path = Path(config["SIGNING_KEY_FILE"])
    try:
        fingerprint = signing_keys.init_key(path, config["SIGNING_KEY_PASSPHRASE"], organisation=config["CLINIC_NAME"],
                                            now=clinic_now())
    except SealKeyError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")
    click.echo(f"wrote {path} (self-signed, for {config['CLINIC_NAME']})")
    if not config["SIGNING_KEY_PASSPHRASE"]:
        click.echo(f"its passphrase is in {signing_keys.passphrase_path(path)}; keep both out of version control")
    click.echo(f"certificate SHA-256: {fingerprint}")


VERIFY_EXIT = {"intact": 0, "modified": 1, "unknown": 1, "not_pdf": 2, "too_complex": 3}


@click.command("verify")
@with_appcontext
@click.argument("pdf_file", metavar="FILE.pdf", type=click.Path(dir_okay=False, path_type=Path))
def verify_command(pdf_file: Path) -> None:
    """Is this PDF a consent from this installation, intact? Exit 0 intact, 1 modified or unknown, 2 not a PDF, 3 too complex."""
    try:
        with pdf_file.open("rb") as handle:  # no more than the largest file checked, plus one byte to tell
            data = handle.read(BOUNDS.max_bytes + 1)
    except OSError as exc:
        _fail(f"cannot read {pdf_file}: {exc.strerror or exc}", 2)
    try:
        result = public_verify.inspect_file(db.session, data, trusted_certificates())
    except SealKeyError as exc:
        _fail(str(exc))
    verdict = result.verdict
    click.echo(f"{verdict.status.upper().replace('_', ' ')}: {verdict.reason}")
    click.echo(f"file sha256: {verdict.sha256 or 'not computed (the file was not read to its end)'}")
    if result.stored:
        known = result.known
        assert known is not None and known.matched is not None  # stored means a revision matched
        click.echo(f"document: {known.document_id} ({DOCUMENT_KIND_LABELS[known.document_kind]})")
        click.echo(f"revision: {known.matched.revision} ({REVISION_KIND_LABELS.get(known.matched.kind, known.matched.kind)})")
        if known.newer is not None:
            click.echo(f"newer revision: yes, revision {known.newer.revision} "
                       f"({REVISION_KIND_LABELS.get(known.newer.kind, known.newer.kind)}) exists")
        else:
            click.echo("newer revision: no, this is the latest")
    elif result.sealed_but_not_stored:
        click.echo("NOT STORED: sealed with this installation's key, but no stored revision has this file's "
                   "SHA-256, so whether it is current cannot be said; ask the clinic for its copy")
        if verdict.document_id:
            click.echo(f"document named inside the file (not confirmed): {verdict.document_id}")
    elif verdict.status not in ("not_pdf", "too_complex") and verdict.document_id:
        click.echo(f"document named inside the file (untrusted, the file failed the check): {verdict.document_id}")
    for check in verdict.signatures:
        state = "intact" if check.intact and check.valid else "BROKEN"
        click.echo(f"  seal {check.field}: {state}, signed {check.signed_at or '?'}, coverage {check.coverage}, "
                   f"later changes {check.modification_level or '?'}" + ("" if check.ours else ", NOT this installation's certificate"))
    sys.exit(VERIFY_EXIT["unknown"] if result.sealed_but_not_stored else VERIFY_EXIT[verdict.status])


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Bring the database to the current schema (for deployments that turn AUTO_MIGRATE off)."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the current schema")


def _trusted_cert_files() -> list[Path]:
    """The earlier certificates KIOSK_SIGNING_TRUSTED_CERTS names, as files."""
    names = current_app.config["SIGNING_TRUSTED_CERTS"] or ""
    return [Path(part.strip()) for part in names.split(",") if part.strip()]


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest: Path) -> None:
    """Copy the running SQLite database, the signing key and earlier certificates into DEST, with a manifest."""
    config = current_app.config
    try:
        result = keeping_backup.backup(config["DATABASE_URL"], dest, key_file=Path(config["SIGNING_KEY_FILE"]),
                                       trusted_cert_files=_trusted_cert_files(), now=clinic_now())
    except keeping_backup.KeepingError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {dest}: {exc.strerror or exc}")
    manifest = result.manifest
    audit.record(db.session, audit.Who(actor="cli"), "backup_made", target=str(dest)[:200],
                 detail={"files": sorted(manifest.files), "documents": len(manifest.newest_revisions())})
    click.echo(f"backed up to {dest}: schema {manifest.schema_revision}, {len(manifest.revisions)} document revisions, "
               f"{sum(manifest.tables.values())} rows in {len(manifest.tables)} tables")
    for name, sha in sorted(manifest.files.items()):
        click.echo(f"  {name}  sha256 {sha}")
    click.echo("the passphrase is not in the backup: keep it where the README's \"Keeping records\" says")


@click.command("restore")
@with_appcontext
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
def restore_command(src: Path) -> None:
    """Restore a backup into this empty instance, check every document against its manifest and re-verify the seals."""
    config = current_app.config
    key_file = Path(config["SIGNING_KEY_FILE"])

    def load_key(path: Path) -> signing_keys.SealKey:
        return signing_keys.load_seal_key(path, signing_keys.resolve_passphrase(key_file, config["SIGNING_KEY_PASSPHRASE"]))

    current_app.extensions["kiosk_db"].kw["bind"].dispose()  # the restore writes the file itself: no pooled connection
    try:
        report = keeping_backup.restore(src, config["DATABASE_URL"], key_file=key_file, load_key=load_key)
    except keeping_backup.KeepingError as exc:
        _fail(str(exc))
    for line in report.checked:
        click.echo(f"checked: {line}")
    if report.problems:
        for line in report.problems:
            click.echo(f"MISMATCH: {line}", err=True)
        _fail(f"the backup in {src} was refused: {len(report.problems)} problems; nothing was restored"
              if not any(line.startswith("restored into") for line in report.checked)
              else f"restored, but {len(report.problems)} problems were found after the copy")
    audit.record(db.session, audit.Who(actor="cli"), "restored", target=str(src)[:200],
                 detail={"files": sorted(keeping_backup.read_manifest(src).files)})
    click.echo("restore OK: every document matches the manifest and every newest revision's seal is intact")


@click.command("archive")
@with_appcontext
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--since", metavar="YYYY-MM-DD", help="Only consents with a revision (theirs or a check-in's) since this day.")
@click.option("--site", metavar="CODE", help="Only this site of a chain (its code, as `sites` lists; a single clinic's is main).")
def archive_command(dest: Path, since: str | None, site: str | None) -> None:
    """Write every consent and check-in into DEST: a folder per patient and document, PDFs, JSON, FHIR, SHA256SUMS."""
    config = current_app.config
    start = None
    if since is not None:
        try:
            start = clinic_day_range(parse_date("--since", since), None, ZoneInfo(config["CLINIC_TIMEZONE"]))[0]
        except ScreeningError as exc:
            _fail(str(exc), 2)
    try:
        only = keeping_archive.site_id(db.session, site)
        context = keeping_archive.Context(texts=current_texts(), now=clinic_now(),
                                          months=int(config["CONSENT_VALID_MONTHS"]))
        summary = keeping_archive.write_archive(db.session, dest, context, since=start, site=only)
    except keeping_backup.KeepingError as exc:
        _fail(str(exc), 2 if isinstance(exc, keeping_archive.UnknownSite) else 1)
    except OSError as exc:
        _fail(f"cannot write {dest}: {exc.strerror or exc}")
    audit.record(db.session, audit.Who(actor="cli"), "archive_exported", target=str(dest)[:200],
                 detail={"documents": summary.consents, "files": summary.files})
    click.echo(f"archived {summary.consents} consents with their check-ins into {dest} ({summary.files} files); "
               f"check it with: cd {dest} && sha256sum -c {keeping_archive.SUMS_NAME}")


def _retention_years() -> int:
    years = current_app.config["RETENTION_YEARS"]
    try:
        years = int(years)
    except (TypeError, ValueError):
        _fail(f"KIOSK_RETENTION_YEARS must be a whole number of years, not {years!r}", 2)
    if years < 5:
        _fail(f"KIOSK_RETENTION_YEARS is {years}: the law asks for at least 5 years (Ley 41/2002 art. 17)", 2)
    return years


@click.command("retention")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Only list what has passed the retention period; remove nothing.")
def retention_command(dry_run: bool) -> None:
    """Remove consents (with their check-ins) past KIOSK_RETENTION_YEARS after their last activity, leaving tombstones."""
    years, now = _retention_years(), clinic_now()
    due = list(retention.past(db.session, years=years, now=now))
    drafts = retention.unsigned_drafts(db.session, years=years, now=now)
    if not due and not drafts:
        click.echo(f"nothing has passed the retention period ({years} years after the last session or signature)")
        return
    if drafts and dry_run:
        click.echo(f"would remove: {len(drafts)} sessions never signed, untouched for {years} years")
    elif drafts:
        count = retention.remove_unsigned_drafts(db.session, drafts, years=years, now=now, who=audit.Who(actor="cli"))
        click.echo(f"removed: {count} sessions never signed, untouched for {years} years")
    removed = 0
    for item in due:
        line = (f"{item.document_id} (check-ins: {', '.join(item.checkins) or 'none'}) signed "
                f"{item.signed_at.date().isoformat()}, last activity {item.last_activity.date().isoformat()}, "
                f"kept until {item.retained_until.date().isoformat()}")
        if item.hold is not None:
            click.echo(f"held: {line}; under a legal hold set by {item.hold.set_by} on "
                       f"{item.hold.set_at.date().isoformat()}, not removed")
            continue
        if dry_run:
            click.echo(f"would remove: {line}")
            continue
        try:
            retention.remove_consent(db.session, item.document_id, years=years, now=now, who=audit.Who(actor="cli"))
        except retention.RetentionRefused as exc:
            click.echo(f"refused: {exc}")
            continue
        removed += 1
        click.echo(f"removed: {line}; tombstone kept")
    held = sum(1 for item in due if item.hold is not None)
    if dry_run:
        click.echo(f"dry run: {len(due) - held} would be removed, {held} held; nothing was changed")
    else:
        click.echo(f"{removed} removed, {held} held")


@click.command("legal-hold")
@with_appcontext
@click.argument("document_id")
@click.option("--by", "admin_email", required=True, metavar="ADMIN_EMAIL", help="The administrator setting or lifting it.")
@click.option("--reason", metavar="TEXT", help="Why the hold is set (for instance the case it is for).")
@click.option("--lift", is_flag=True, help="Lift the consent's active hold instead of setting one.")
def legal_hold_command(document_id: str, admin_email: str, reason: str | None, lift: bool) -> None:
    """Set (or --lift) a legal hold on a consent and its check-ins: retention removes nothing of it while it holds."""
    try:
        if lift:
            hold = retention.lift_hold(db.session, document_id, admin_email=admin_email, now=clinic_now())
            click.echo(f"legal hold on {hold.document_id} lifted by {hold.lifted_by}")
        else:
            hold = retention.set_hold(db.session, document_id, reason=reason or "", admin_email=admin_email,
                                      now=clinic_now())
            click.echo(f"legal hold set on {hold.document_id} by {hold.set_by}: {hold.reason}")
    except retention.RetentionRefused as exc:
        _fail(str(exc))
