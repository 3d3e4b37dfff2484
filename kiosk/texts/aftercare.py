"""The words of the aftercare sheet around each treatment's advice (`<language>/aftercare.yaml`), validated with the texts.

Like the rest of ``consent_texts/``, a mistake is reported with file, line and field before the app serves
anything; every consent language needs the file with every field, so the sheet never falls back to English
in the middle of a Spanish page. No Flask here.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.texts.model import AftercareText
from kiosk.texts.yaml_doc import YamlDoc, check_language, load_each_language

AFTERCARE_FILE = "aftercare.yaml"


def load_aftercare_texts(lang_dirs: list[Path], root: Path, errors: list[str]) -> dict[str, AftercareText]:
    """Every consent language's aftercare.yaml; each needs one, so every patient's sheet reads in their language."""
    return load_each_language(lang_dirs, root, errors, AFTERCARE_FILE, _load)


def _load(doc: YamlDoc, language: str) -> AftercareText | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    check_language(doc, data, language)
    plain = ("title", "patient", "treatment", "session_date", "areas", "advice", "when_to_call_title",
             "when_to_call", "handout")
    words = {key: doc.text(data, key, ()) for key in plain}
    return AftercareText(language=language, version=doc.text(data, "version", ()),
                         reference=doc.text(data, "reference", (), placeholders=("id",)),
                         session=doc.text(data, "session", (), placeholders=("number",)), **words)
