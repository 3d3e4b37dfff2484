"""The message catalogues: complete, in step with the code, compiled at start and never committed as binaries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask

from app import create_app
from kiosk.core import i18n
from tests.support import ROOT

TRANSLATIONS = ROOT / "translations"


def _ids(catalog_path: Path) -> set[object]:
    with catalog_path.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def _extracted() -> set[object]:
    """What `pybabel extract` (README, "Languages") finds in the sources today."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(i18n.EXTRACT_KEYWORDS))}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def test_the_template_is_up_to_date_with_the_sources() -> None:
    pot = _ids(TRANSLATIONS / "messages.pot")
    extracted = _extracted()
    assert sorted(map(str, extracted - pot)) == [], "new strings: run pybabel extract and update (README)"
    assert sorted(map(str, pot - extracted)) == [], "strings no longer in the code: run pybabel extract and update"


@pytest.mark.parametrize("language", i18n.catalogue_languages(TRANSLATIONS))
def test_each_catalogue_is_complete_and_its_placeholders_match(language: str) -> None:
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    assert _ids(path) == _ids(TRANSLATIONS / "messages.pot"), "run pybabel update (README)"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    empty = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert fuzzy == [] and empty == []
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_spanish_is_a_catalogue_and_no_compiled_file_is_committed() -> None:
    assert "es" in i18n.catalogue_languages(TRANSLATIONS)
    assert "*.mo" in (ROOT / ".gitignore").read_text().split()
    assert not list(TRANSLATIONS.rglob("*.mo"))


def test_compiling_writes_a_working_catalogue_once_and_again_when_the_po_changes(tmp_path: Path) -> None:
    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, source)
    target = tmp_path / "instance" / "translations"
    mo = target / "es" / "LC_MESSAGES" / "messages.mo"

    assert i18n.compile_catalogues(source, target) == [mo]
    spanish = Translations.load(str(target), ["es"])
    assert spanish.gettext("Welcome") == "Le damos la bienvenida"
    assert spanish.ngettext("%(num)d consent", "%(num)d consents", 3) == "%(num)d consentimientos"

    assert i18n.compile_catalogues(source, target) == []  # up to date: nothing written
    po = source / "es" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"Le damos la bienvenida"', '"Bienvenida"'),
                  encoding="utf-8")
    later = mo.stat().st_mtime + 10
    os.utime(po, (later, later))
    assert i18n.compile_catalogues(source, target) == [mo]
    assert Translations.load(str(target), ["es"]).gettext("Welcome") == "Bienvenida"


@pytest.mark.parametrize(("po", "problem"), [
    ('msgid "Welcome"\nmsgstr "Bienvenida"\nthis is not a catalogue line\n', "misformatted"),
    ('#, python-format\nmsgid "Step %(n)d of %(total)d"\nmsgstr "Paso %(n)d de %(todos)d"\n',
     "unknown named placeholder 'todos'"),
])
def test_a_broken_catalogue_is_named_and_stops_the_start(tmp_path: Path, po: str, problem: str) -> None:
    source = tmp_path / "translations"
    broken = source / "es" / "LC_MESSAGES" / "messages.po"
    broken.parent.mkdir(parents=True)
    broken.write_text(po, encoding="utf-8")
    with pytest.raises(i18n.CatalogueError, match=f"messages.po.*{problem}"):
        i18n.compile_catalogues(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit, match="could not be compiled"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "AUTO_MIGRATE": False, "TRANSLATIONS_DIR": str(source),
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})


def test_the_app_compiles_at_start_into_its_instance_folder(app: Flask) -> None:
    compiled = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert compiled == Path(app.instance_path) / "translations"
    assert (compiled / "es" / "LC_MESSAGES" / "messages.mo").is_file()


def test_without_spanish_texts_spanish_is_not_offered(db_url: str, tmp_path: Path) -> None:
    texts = tmp_path / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", texts, ignore=lambda folder, names: [n for n in names if n == "es"])
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": db_url, "AUTO_MIGRATE": False,
                      "CONSENT_TEXTS_DIR": str(texts)})
    assert app.extensions["kiosk_languages"] == ["en"]
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "language-switch" not in page and '<html lang="en">' in page
    with client.session_transaction() as session:  # a language chosen earlier that is no longer offered
        session["lang"] = "es"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_offered_languages_need_a_catalogue_and_texts() -> None:
    assert i18n.offered_languages("en", ["es", "fr"], ["en", "es", "de"]) == ["en", "es"]
    assert i18n.offered_languages("en", ["es"], ["en"]) == ["en"]
    assert i18n.language_name("es") == "Español" and i18n.language_name("en") == "English"
