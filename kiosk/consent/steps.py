"""The wizard's step order and what a change to one step undoes, as pure functions of the completed set."""

from __future__ import annotations

from collections.abc import Iterable

STEPS: tuple[str, ...] = (
    "identity", "treatment", "explanation", "risks", "comprehension", "screening", "review", "sign",
)

# Changing the treatment changes which words, risks and questions apply: these steps' answers go.
PER_TREATMENT: tuple[str, ...] = ("explanation", "risks", "comprehension", "screening")
_INVALIDATES = {"treatment": PER_TREATMENT}


def first_open(completed: Iterable[str]) -> str:
    """The first step not yet done: where an out-of-order visit is sent."""
    done = set(completed)
    return next((step for step in STEPS if step not in done), STEPS[-1])


def may_visit(step: str, completed: Iterable[str]) -> bool:
    """A step is open once every step before it is done; done steps stay open for changes."""
    done = set(completed)
    return step in STEPS and all(s in done for s in STEPS[: STEPS.index(step)])


def after_saving(step: str, completed: Iterable[str], *, changed_modality: bool = False) -> list[str]:
    """The completed list once `step` is saved: any change sends the patient back through review."""
    done = [s for s in completed if s != "review"]
    if changed_modality:
        done = [s for s in done if s not in _INVALIDATES["treatment"]]
    if step not in done:
        done.append(step)
    return [s for s in STEPS if s in done]


def number(step: str) -> int:
    """1-based position for the "Step N of M" indicator."""
    return STEPS.index(step) + 1
