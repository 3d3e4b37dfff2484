"""Every language offers what English offers: the same areas, risks, comprehension questions, options and right answers.

Compared on the parsed files, so a mismatch is reported at its own file and line. No Flask here.
"""

from __future__ import annotations

from typing import Any

from kiosk.texts.yaml_doc import Path_, YamlDoc

REFERENCE_LANGUAGE = "en"


def _ids(data: Any, *keys: str | int) -> list[tuple[str, Path_]]:
    """The ids at a path of a parsed file, each with its own path: mapping keys, or a list's `id` fields."""
    node: Any = data
    for key in keys:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return []
    if isinstance(node, dict):
        return [(str(k), keys + (str(k),)) for k in node]
    if isinstance(node, list):
        return [(str(v["id"]), keys + (i, "id")) for i, v in enumerate(node) if isinstance(v, dict) and "id" in v]
    return []


def check_parity(docs: dict[str, dict[str, YamlDoc]], errors: list[str]) -> None:
    """Each language must offer every area, risk, comprehension question and option the English texts do."""
    reference = docs.get(REFERENCE_LANGUAGE)
    if reference is None:
        return
    for language, files in sorted(docs.items()):
        if language == REFERENCE_LANGUAGE:
            continue
        for name, doc in files.items():
            ref = reference.get(name)
            if ref is None or not (doc.ok and ref.ok):
                continue  # a file missing in one language is reported where rules.yaml is checked
            if name == "common.yaml":
                _compare(doc, ref, ("areas",), "area")
                _compare(doc, ref, ("photo_consent", "uses"), "photo use")
            elif name.startswith("modalities/"):
                _compare(doc, ref, ("risks",), "risk")
                _compare_checks(doc, ref)


def _compare(doc: YamlDoc, ref: YamlDoc, path: Path_, kind: str) -> set[str]:
    """Report ids at `path` that one language has and the other lacks; returns the ids both have."""
    mine = dict(_ids(doc.data, *path))
    theirs = dict(_ids(ref.data, *path))
    for missing in [i for i in theirs if i not in mine]:
        doc.error(path, f"{kind} {missing!r} is in {ref.name} but not here")
    for extra in [i for i in mine if i not in theirs]:
        doc.error(mine[extra], f"{kind} {extra!r} is not in {ref.name}")
    return set(mine) & set(theirs)


def _compare_checks(doc: YamlDoc, ref: YamlDoc) -> None:
    shared = _compare(doc, ref, ("comprehension",), "comprehension question")
    mine = {qid: path[1] for qid, path in _ids(doc.data, "comprehension")}
    theirs = {qid: path[1] for qid, path in _ids(ref.data, "comprehension")}
    for qid in sorted(shared, key=mine.__getitem__):
        here, there = mine[qid], theirs[qid]
        _compare(doc, ref, ("comprehension", here, "options"), f"option of {qid}")
        right_here, right_there = _right_option(doc.data, here), _right_option(ref.data, there)
        if right_here and right_there and right_here != right_there:
            doc.error(("comprehension", here, "options"),
                      f"the right answer is {right_here!r} here but {right_there!r} in {ref.name}")


def _right_option(data: Any, index: int | str) -> str | None:
    if not isinstance(index, int):
        return None  # "comprehension" is a mapping, not a list: the loader reports that, there is nothing to compare
    options = ((data or {}).get("comprehension") or [])[index].get("options") or []
    right = [o.get("id") for o in options if isinstance(o, dict) and o.get("correct") is True]
    return str(right[0]) if len(right) == 1 else None
