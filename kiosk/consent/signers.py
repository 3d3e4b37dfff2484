"""The signatures a draft holds before it is sealed: the patient's, kept while the others named sign after it.

The desk names the people (kept under the draft's prefill, `people`); each signature is kept in the draft (the
drawn PNG in base64) and committed at once, so a refresh or a hand-over of the tablet loses nothing.
"""

from __future__ import annotations

import base64
import copy
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kiosk.core.models import Draft


def people(draft: Draft) -> dict[str, Any]:
    """Who the desk named for this consent: representative, interpreter, witness, and whether the patient can decide."""
    return dict((draft.data.get("prefill") or {}).get("people") or {})


def held(draft: Draft) -> dict[str, dict[str, Any]]:
    """The signatures kept so far, by role ("patient" first), each with its PNG bytes (or None when typed)."""
    out: dict[str, dict[str, Any]] = {}
    for role, kept in (draft.data.get("signatures") or {}).items():
        entry = dict(kept)
        entry["png"] = base64.b64decode(entry["png"]) if entry.get("png") else None
        out[role] = entry
    return out


def awaited(draft: Draft) -> tuple[str, ...]:
    """Who has still to sign after the patient, as known when the patient signed (for the desk's list)."""
    signed = draft.data.get("signatures") or {}
    return tuple(role for role in draft.data.get("awaited_signers") or () if role not in signed) if "patient" in signed \
        else ()


def not_named(draft: Draft) -> tuple[str, ...]:
    """Those awaited whom the desk has not named: the tablet cannot go on until it does."""
    named = people(draft)
    return tuple(role for role in awaited(draft) if not named.get(role))


def hold(session: Session, draft: Draft, role: str, values: dict[str, Any], now: datetime,
         awaiting: tuple[str, ...] = ()) -> None:
    """Keep one signature; the patient's signing again starts the others' signatures afresh (they sign after it)."""
    data = copy.deepcopy(draft.data or {})
    if role == "patient":
        data["awaited_signers"] = list(awaiting)
    kept = {k: v for k, v in values.items() if k not in ("png", "image")}
    kept["png"] = base64.b64encode(values["png"]).decode("ascii") if values.get("png") else None
    kept["signed_at"] = now.isoformat()
    signatures = {} if role == "patient" else dict(data.get("signatures") or {})
    signatures[role] = kept
    data["signatures"] = signatures
    draft.data = data
    draft.updated_at = now
    session.commit()


def set_people(session: Session, draft: Draft, named: dict[str, Any], now: datetime) -> None:
    """Replace who the desk named; signatures already given by people no longer named are dropped."""
    data = copy.deepcopy(draft.data or {})
    data.setdefault("prefill", {})["people"] = named
    signatures = data.get("signatures") or {}
    data["signatures"] = {role: kept for role, kept in signatures.items()
                          if role == "patient" or _same(named.get(role), kept.get("named"))}
    draft.data = data
    draft.updated_at = now
    session.commit()


def _same(named: Any, signed_as: Any) -> bool:
    return bool(named) and named == signed_as
