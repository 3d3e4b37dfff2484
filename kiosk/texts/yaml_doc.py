"""A YAML file read with the line of every field, so each mistake names file, line and field.

The director edits consent_texts/ by hand; errors must point where to look. No Flask here.

Aliases (`*name`, and `<<: *name` merges) are refused where they stand, before anything is built: an
alias bomb (each alias naming a list of earlier aliases, nine levels deep) is a few hundred bytes that
expands to billions of nodes when the fields are walked for their lines, and hung `check-texts` and
start-up (issue 14). The texts never need one: each text is written out in full.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml
from yaml.composer import ComposerError

Path_ = tuple[str | int, ...]
ID = re.compile(r"^[a-z][a-z0-9_]*$")
OPTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,39}$")  # a choice's option, e.g. skin type "IV" or "unsure"
MAX_TEXT = 20_000


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing every alias with the line and column where it is written."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(
                None, None, f"an alias (*{event.anchor}) is not allowed in the consent texts: write the text out "
                            "in full where it is needed", event.start_mark)
        return super().compose_node(parent, index)


class YamlDoc:
    """A parsed YAML file with the line of every node, for errors a person can act on."""

    def __init__(self, path: Path, root: Path, errors: list[str]) -> None:
        self.name = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
        self.errors = errors
        self.lines: dict[Path_, int] = {}
        self.data: Any = None
        self.ok = False
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            errors.append(f"{self.name}: file is missing")
            return
        except UnicodeDecodeError as exc:
            errors.append(f"{self.name}: not UTF-8 text (byte {exc.start})")
            return
        loader = NoAliasLoader(text)
        try:
            node = loader.get_single_node()
            self.data = loader.construct_document(node) if node is not None else None
            if node is not None:
                self._walk(node, ())
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            errors.append(f"{self.name}{where}: YAML error: {problem}")
            return
        except RecursionError:
            errors.append(f"{self.name}: YAML error: lists or fields nested too deeply to read")
            return
        finally:
            loader.dispose()
        self.ok = True

    def _walk(self, node: yaml.Node, path: Path_, line: int | None = None) -> None:
        """Record each path's line: a mapping entry's is its key's, where a person looks for it."""
        self.lines[path] = line or node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in seen:
                    self.errors.append(f"{self.name}:{key.start_mark.line + 1}: {fmt_path(path + (name,))}: appears twice")
                seen.add(name)
                self._walk(value, path + (name,), key.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                self._walk(value, path + (index,))

    def error(self, path: Path_, message: str) -> None:
        probe = path
        line = self.lines.get(probe)
        while line is None and probe:
            probe = probe[:-1]
            line = self.lines.get(probe)
        where = f":{line}" if line else ""
        label = f" {fmt_path(path)}:" if path else ""
        self.errors.append(f"{self.name}{where}:{label} {message}")

    # typed getters: each reports and returns a safe default, so checking goes on
    def mapping(self, data: Any, path: Path_) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.error(path, "should be a list of `name: value` entries")
            return {}
        return data

    def text(self, data: dict[str, Any], key: str, path: Path_, *, required: bool = True,
             placeholders: tuple[str, ...] = ()) -> str:
        value = data.get(key)
        where = path + (key,)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(where if key in data else path, f'missing field "{key}"')
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(where, "should be text")
            return ""
        value = str(value).strip()
        if len(value) > MAX_TEXT:
            self.error(where, f"is longer than {MAX_TEXT} characters")
        try:
            names = {n for _, n, _, _ in string.Formatter().parse(value) if n is not None}
        except ValueError as exc:
            self.error(where, f"has a stray brace: {exc} (write {{{{ or }}}} for a literal brace)")
            return value
        unknown = sorted(names - set(placeholders))
        if unknown:
            allowed = ", ".join("{" + p + "}" for p in placeholders) or "none"
            self.error(where, f"unknown placeholder {{{unknown[0]}}} (allowed: {allowed})")
        return value

    def ident(self, data: dict[str, Any], key: str, path: Path_) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not ID.match(value):
            self.error(path + (key,) if key in data else path,
                       f'missing or invalid "{key}" (lowercase letters, digits and _)')
            return ""
        return value


def fmt_path(path: Path_) -> str:
    """A field path as a person reads it: modalities[2].risks."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def check_language(doc: YamlDoc, data: dict[str, Any], language: str) -> None:
    """A language file names its own language, so a copied file left unchanged is caught."""
    if data.get("language") != language:
        doc.error(("language",) if "language" in data else (),
                  f'"language" must be {language!r}, the name of its folder')


T = TypeVar("T")


def load_each_language(lang_dirs: list[Path], root: Path, errors: list[str], file_name: str,
                       parse: Callable[[YamlDoc, str], T | None]) -> dict[str, T]:
    """One file per consent language, each parsed with its located errors, so no language is left with a gap."""
    out: dict[str, T] = {}
    for lang_dir in lang_dirs:
        loaded = parse(YamlDoc(lang_dir / file_name, root, errors), lang_dir.name)
        if loaded is not None:
            out[lang_dir.name] = loaded
    return out
