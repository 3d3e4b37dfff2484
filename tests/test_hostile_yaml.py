"""A YAML alias bomb in consent_texts/ (issue 14, finding 12): refused at once, naming the file and line.

Before the fix, aliases were expanded while every field's line was recorded, so a few hundred bytes of
"billion laughs" in one file hung `check-texts` and the app's start-up.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from kiosk.texts.loader import load_texts
from tests import hostile
from tests.test_check_texts import SOURCE, assert_rejected, errors_of, read_lines, run_check

BOMB_FILE = "en/common.yaml"


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    """A copy of the shipped consent_texts/ to break."""
    copy = tmp_path / "consent_texts"
    shutil.copytree(SOURCE, copy)
    return copy


def _plant_bomb(texts_dir: Path) -> int:
    """Append the bomb to a file the app reads at start; returns the line of its first alias."""
    path = texts_dir / BOMB_FILE
    first_line = len(read_lines(path)) + 1
    path.write_text(path.read_text(encoding="utf-8") + hostile.yaml_alias_bomb(), encoding="utf-8")
    return first_line + 1  # the bomb's second line holds its first alias


def test_check_texts_refuses_an_alias_bomb_naming_file_and_line(tmp_path: Path, texts: Path) -> None:
    line = _plant_bomb(texts)
    started = time.monotonic()
    result = run_check(tmp_path, texts)
    assert time.monotonic() - started < 15  # the command's own start included; the old code never finished
    assert_rejected(result, f"{BOMB_FILE}:{line}:", "alias (*a0) is not allowed")


def test_the_app_refuses_to_start_on_an_alias_bomb(texts: Path) -> None:
    line = _plant_bomb(texts)
    started = time.process_time()
    errors = errors_of(texts)  # load_texts, as create_app calls it at start-up
    assert time.process_time() - started < 2
    assert any(e.startswith(f"consent_texts/{BOMB_FILE}:{line}:") and "alias" in e for e in errors), errors


def test_a_single_alias_is_refused_too(texts: Path) -> None:
    """No alias at all: the texts never need one, and a count would only move the bomb's threshold."""
    path = texts / BOMB_FILE
    path.write_text(path.read_text(encoding="utf-8") + "zz_anchor: &x hello\nzz_alias: *x\n", encoding="utf-8")
    errors = errors_of(texts)
    assert any("alias (*x) is not allowed" in e for e in errors), errors


def test_the_shipped_texts_use_no_alias(texts: Path) -> None:
    assert load_texts(texts)
