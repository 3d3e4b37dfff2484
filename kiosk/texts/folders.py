"""The consent texts of each site of a chain: the installation's folder, or a site's own.

A chain's medical director may give one clinic its own `consent_texts/` (another price list of risks, a regional
wording, a different rule). Each folder is loaded and validated once, the first time a patient of that site needs
it, and then served from memory like the installation's; a folder that fails validation is never half-used.
"""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.texts.loader import load_texts
from kiosk.texts.model import Texts, TextsError


class TextsFolders:
    """Validated texts by folder, so every request of a site reads the same words without re-reading its files."""

    def __init__(self, default_folder: str | Path, default: Texts) -> None:
        self._loaded: dict[Path, Texts] = {Path(default_folder).resolve(): default}
        self._lock = threading.Lock()

    def get(self, folder: str | Path) -> Texts:
        """The texts in `folder`, loaded once; raises TextsError (every problem, with file and line) if broken."""
        key = Path(folder).resolve()
        with self._lock:
            texts = self._loaded.get(key)
            if texts is None:
                texts = self._loaded[key] = load_texts(key)
            return texts


def check_site_folder(folder: str | Path, installation: Texts) -> Texts:
    """A site's own folder, validated and held to the installation's languages (the patient's switch offers them)."""
    texts = load_texts(folder)
    missing = sorted(set(installation.languages) - set(texts.languages))
    if missing:
        raise TextsError([f"{folder}: no texts in {', '.join(missing)}, which this installation offers its patients"])
    return texts
