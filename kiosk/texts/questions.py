"""The `questions` map of a language file, shared by the consent texts and the check-in words."""

from __future__ import annotations

from typing import Any

from kiosk.texts.model import QuestionText
from kiosk.texts.yaml_doc import Path_, YamlDoc


def question_texts(doc: YamlDoc, data: dict[str, Any], known: dict[str, tuple[str, ...]] | None, kind: str,
                   where: str) -> dict[str, QuestionText]:
    """The `questions` map of a language file: wording for exactly the ids the rules know, and each choice's options.

    known: each question id the rules hold, with its options (empty unless a choice); None accepts any id.
    """
    raw = doc.mapping(data.get("questions"), ("questions",))
    known = {str(qid): () for qid in raw} if known is None else known
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
            options=_option_texts(doc, item, path, known[qid], where),
            short=doc.text(item, "short", path, required=False) or None,
        )
    for qid in sorted(set(known) - set(raw)):
        doc.error(("questions",), f"{kind} {qid!r} from {where} has no wording here")
    return out


def _option_texts(doc: YamlDoc, item: dict[str, Any], path: Path_, options: tuple[str, ...],
                  where: str) -> dict[str, str]:
    """A choice question's options in plain words: exactly the options the rules offer, in their order."""
    if not options:
        if "options" in item:
            doc.error(path + ("options",), f"only a choice question has options, and this one is not a choice in {where}")
        return {}
    raw = doc.mapping(item.get("options"), path + ("options",))
    for option in raw:
        if str(option) not in options:
            doc.error(path + ("options", str(option)),
                      f"unknown option {option!r}: {where} offers {', '.join(options)}")
    texts: dict[str, str] = {}
    for option in options:
        if option not in raw and raw:
            doc.error(path + ("options",), f"option {option!r} from {where} has no wording here")
        elif raw:
            texts[option] = doc.text(raw, option, path + ("options",))
    return texts
