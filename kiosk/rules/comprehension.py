"""The comprehension check after the risks: mark the patient's choices and flag wrong ones for the doctor.

Pure functions of the words shown (kiosk.documents.record.CheckShown) and the chosen option ids,
so the wizard's feedback page, the stored record and the PDF agree on what was right.
The options are shown in an order of their own for each patient (the texts' order means nothing: an
editor may well write the right answer first); a question asked again after a wrong answer gets a new order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from kiosk.documents.record import CheckShown, ComprehensionAnswer, Flag, SecondAnswer, flag_id


def option_order(check: CheckShown, seed: str, attempt: int = 1) -> list[str]:
    """The option ids in the order this patient sees them: fixed by the draft's seed, new on the second attempt."""
    ids = [o["id"] for o in check["options"]]

    def shuffled(n: int) -> list[str]:
        return sorted(ids, key=lambda oid: hashlib.sha256(f"{seed}:{check['id']}:{n}:{oid}".encode()).hexdigest())

    first = shuffled(1)
    if attempt == 1:
        return first
    again = shuffled(attempt)
    if again == first:  # asked again means in a new order, even with two options
        again = first[1:] + first[:1]
    return again


def in_order(check: CheckShown, order: list[str]) -> CheckShown:
    """The question with its options in the given order (ids the texts no longer offer are left out)."""
    by_id = {o["id"]: o for o in check["options"]}
    return {**check, "options": [by_id[oid] for oid in order if oid in by_id]}


def grade(shown: list[CheckShown], chosen: Mapping[str, str], answered_at: str | None = None, *,
          orders: Mapping[str, list[str]] | None = None, again: Mapping[str, str] | None = None,
          again_orders: Mapping[str, list[str]] | None = None,
          again_at: str | None = None) -> list[ComprehensionAnswer]:
    """Each question shown with the option chosen (by id), whether it was the right one, the order the options were
    shown in, and the second answer where the question was asked again."""
    results: list[ComprehensionAnswer] = []
    for check in shown:
        texts = {o["id"]: o["text"] for o in check["options"]}
        picked = str(chosen.get(check["id"]) or "")
        result = ComprehensionAnswer(
            question=check["id"], text=check["text"], chosen=picked, chosen_text=texts.get(picked, ""),
            answer=check["answer"], answer_text=texts.get(check["answer"], ""),
            correct=picked == check["answer"], explanation=check["explanation"], answered_at=answered_at,
        )
        if orders and check["id"] in orders:
            result["order"] = list(orders[check["id"]])
        if again and check["id"] in again:
            second = str(again[check["id"]] or "")
            result["again"] = SecondAnswer(chosen=second, chosen_text=texts.get(second, ""),
                                           correct=second == check["answer"],
                                           order=list((again_orders or {}).get(check["id"]) or []),
                                           answered_at=again_at)
        results.append(result)
    return results


def grade_saved(shown: list[CheckShown], saved: Mapping[str, object]) -> list[ComprehensionAnswer]:
    """The check as the wizard saved it (first answers, orders, the questions asked again), graded."""

    def mapping(key: str) -> dict[str, object]:
        value = saved.get(key)
        return dict(value) if isinstance(value, Mapping) else {}

    def text(key: str) -> str | None:
        value = saved.get(key)
        return value if isinstance(value, str) else None

    return grade(shown, {k: str(v) for k, v in mapping("answers").items()}, text("answered_at") or text("saved_at"),
                 orders={k: list(v) for k, v in mapping("order").items() if isinstance(v, list)},
                 again={k: str(v) for k, v in mapping("again").items()},
                 again_orders={k: list(v) for k, v in mapping("again_order").items() if isinstance(v, list)},
                 again_at=text("saved_at") if mapping("again") else None)


def wrong_answer_flags(results: list[ComprehensionAnswer], reason: str) -> list[Flag]:
    """An `info` flag per wrong answer, so the doctor can go over it; it never stops the consent."""
    return [
        Flag(question=flag_id(r["question"]), severity="info",
             reason=reason.format(question=r["text"], chosen=r["chosen_text"] or r["chosen"], answer=r["answer_text"]))
        for r in results if not r["correct"]
    ]
