"""Which clinic of a chain a member of staff may see: one guard, used by every list and every page of a record.

A scope is the set of site ids someone works at, or None for every site (an admin, or anyone when the
database holds only one site, so a single clinic pays nothing for sites). A staff request's database session
is limited to its scope (limit_session): every ORM query on drafts, consents and check-ins, whichever feature
wrote it, then sees only those sites' rows, so a record outside the scope is not there at all (a 404, never a
hint that it exists), and a query written tomorrow cannot forget the rule.
"""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from kiosk.core.models import Checkin, Consent, Draft, Site, User

Scope = frozenset[int] | None
EVERY_SITE: Scope = None


def scope_of(session: Session, user: User | None) -> Scope:
    """The sites this member of staff sees: every site for an admin or a single clinic, else those they work at."""
    if user is None or getattr(user, "role", None) == "admin":
        return EVERY_SITE
    mine = frozenset(site.id for site in user.sites)
    return EVERY_SITE if len(mine) >= site_count(session) else mine


def site_count(session: Session) -> int:
    """How many sites the database holds (one for a single clinic)."""
    return session.scalar(select(func.count()).select_from(Site)) or 0


def chain(session: Session) -> bool:
    """More than one site: only then do pages and documents name the site (a single clinic never sees the word)."""
    return site_count(session) > 1


SCOPE_KEY = "kiosk_site_scope"


def limit_session(session: Session, scope: Scope) -> None:
    """Every ORM query on this session from now on sees only the scope's drafts, consents and check-ins."""
    if scope is None:
        session.info.pop(SCOPE_KEY, None)
    else:
        session.info[SCOPE_KEY] = scope


def _scope_criteria(state: ORMExecuteState) -> None:
    scope = state.session.info.get(SCOPE_KEY)
    if scope is None or state.is_column_load or state.is_relationship_load:
        return  # relationship and column loads carry the criteria of the query that started them
    ids = sorted(scope)
    state.statement = state.statement.options(
        with_loader_criteria(Draft, lambda cls: cls.site_id.in_(ids), include_aliases=True, track_closure_variables=False),
        with_loader_criteria(Consent, lambda cls: cls.site_id.in_(ids), include_aliases=True, track_closure_variables=False),
        with_loader_criteria(Checkin, lambda cls: cls.site_id.in_(ids), include_aliases=True, track_closure_variables=False),
    )


def install_guard() -> None:
    """Register the one guard (idempotent): a limited session's queries are filtered to its sites, whoever wrote them."""
    if not event.contains(Session, "do_orm_execute", _scope_criteria):
        event.listen(Session, "do_orm_execute", _scope_criteria)
