"""Message catalogues: compile the committed .po files at start, and name the languages a patient can choose.

Only the .po sources are in git (a .mo is a build product); the app compiles
each one into the instance folder when it is missing or older than its .po,
so a fresh clone works with the two README commands and nothing else. No
Flask here: the app factory and the tests call it directly.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

DOMAIN = "messages"
# Extra gettext names the code uses, on top of Babel's defaults; `pybabel extract -k` takes the same list.
EXTRACT_KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")


class CatalogueError(Exception):
    """A .po file that cannot be compiled, named with the reason, so the app refuses to start on it."""


def catalogue_languages(source: Path) -> list[str]:
    """Languages with a .po catalogue under `source` (translations/<lang>/LC_MESSAGES/messages.po)."""
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile each .po under `source` to a .mo under `target` when missing or older; returns those written."""
    written = []
    for language in catalogue_languages(source):
        po_path = source / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo_path = target / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        _compile(po_path, mo_path, language)
        written.append(mo_path)
    return written


def _compile(po_path: Path, mo_path: Path, language: str) -> None:
    """Write through a temporary file and rename, so two workers starting at once never read half a file."""
    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language, abort_invalid=True)
    except (PoFileError, ValueError, UnknownLocaleError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{po_path}: {exc}") from None
    # a translation whose %(placeholders)s differ from the English would fail on the page that shows it
    problems = [f"{po_path}:{message.lineno}: {error}" for message, errors in catalog.check() for error in errors]
    if problems:
        raise CatalogueError("\n".join(problems))
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, prefix=f".{DOMAIN}-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        os.replace(tmp_name, mo_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def offered_languages(default: str, catalogues: list[str], texts: list[str]) -> list[str]:
    """Languages with both interface strings and consent texts (the default needs no catalogue), default first."""
    usable = {default, *catalogues} & set(texts)
    return sorted(usable, key=lambda code: (code != default, code))


def device_language(accepted: Iterable[tuple[str, float]], offered: Sequence[str]) -> str | None:
    """The device's most preferred language among those offered (Accept-Language), matched on the language itself
    so es-ES and es-MX read Spanish; None when it prefers none of them. A listed region never loses to a later
    exact match (en-GB first means English, even with es listed after it)."""
    for tag, quality in sorted(accepted, key=lambda pair: -pair[1]):  # sorted() is stable: ties keep their order
        language = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and language in offered:
            return language
    return None


@cache
def language_name_in(code: str, reader: str) -> str:
    """A language's name in the reader's own words ("Spanish" to an English reader, "inglés" to a Spanish one)."""
    try:
        return Locale.parse(code).get_display_name(reader) or code
    except (ValueError, UnknownLocaleError):
        return code


@cache
def language_name(code: str) -> str:
    """A language's name in that language ("Español"), as a patient looking for their own would read it."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]
