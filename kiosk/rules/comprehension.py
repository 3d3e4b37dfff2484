"""The comprehension check after the risks: mark the patient's choices and flag wrong ones for the doctor.

Pure functions of the words shown (kiosk.documents.record.CheckShown) and the chosen option ids,
so the wizard's feedback page, the stored record and the PDF agree on what was right.
"""

from __future__ import annotations

from collections.abc import Mapping

from kiosk.documents.record import CheckShown, ComprehensionAnswer, Flag, flag_id

def grade(shown: list[CheckShown], chosen: Mapping[str, str], answered_at: str | None = None) -> list[ComprehensionAnswer]:
    """Each question shown with the option chosen (by id) and whether it was the right one."""
    results: list[ComprehensionAnswer] = []
    for check in shown:
        texts = {o["id"]: o["text"] for o in check["options"]}
        picked = str(chosen.get(check["id"]) or "")
        results.append(ComprehensionAnswer(
            question=check["id"], text=check["text"], chosen=picked, chosen_text=texts.get(picked, ""),
            answer=check["answer"], answer_text=texts.get(check["answer"], ""),
            correct=picked == check["answer"], explanation=check["explanation"], answered_at=answered_at,
        ))
    return results


def wrong_answer_flags(results: list[ComprehensionAnswer], reason: str) -> list[Flag]:
    """An `info` flag per wrong answer, so the doctor can go over it; it never stops the consent."""
    return [
        Flag(question=flag_id(r["question"]), severity="info",
             reason=reason.format(question=r["text"], chosen=r["chosen_text"] or r["chosen"], answer=r["answer_text"]))
        for r in results if not r["correct"]
    ]
