"""The `questions` map of a language file, shared by the consent texts and the check-in words."""

from __future__ import annotations

from typing import Any

from kiosk.texts.model import QuestionText
from kiosk.texts.yaml_doc import Path_, YamlDoc


def question_texts(doc: YamlDoc, data: dict[str, Any], known: set[str] | None, kind: str,
                   where: str) -> dict[str, QuestionText]:
    """The `questions` map of a language file: wording for exactly the ids the rules know."""
    raw = doc.mapping(data.get("questions"), ("questions",))
    known = set(raw) if known is None else known
    out: dict[str, QuestionText] = {}
    for qid, entry in raw.items():
        path: Path_ = ("questions", str(qid))
        if qid not in known:
            doc.error(path, f"unknown {kind} {qid!r}: it is not in {where}")
            continue
        item = doc.mapping(entry, path)
        out[qid] = QuestionText(
            text=doc.text(item, "text", path),
            help=doc.text(item, "help", path, required=False) or None,
            detail_label=doc.text(item, "detail_label", path, required=False) or None,
        )
    for qid in sorted(known - set(raw)):
        doc.error(("questions",), f"{kind} {qid!r} from {where} has no wording here")
    return out
