"""The clinics of a chain: creating a site, changing its details, and which staff work at which site.

Messages are for the command line (kiosk.staff.commands) and name what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.core.audit import Who
from kiosk.core.models import Site, User
from kiosk.texts.folders import check_site_folder
from kiosk.texts.model import Texts, TextsError

CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
NAME_MAX, ADDRESS_MAX, URL_MAX, FOLDER_MAX = 200, 400, 300, 500


class SiteError(ValueError):
    """A refused change to sites, with a message fit for the command line."""


@dataclass(frozen=True)
class SiteDetails:
    """What a site prints on its documents; None leaves a detail as it is (or, for a new site, empty)."""

    name: str | None = None
    address: str | None = None
    timezone: str | None = None
    public_url: str | None = None
    texts_dir: str | None = None  # its own consent_texts/ folder; "" goes back to the installation's


def all_sites(session: Session) -> list[Site]:
    """Every site, oldest first (the first is the one the clinic had before it became a chain)."""
    return list(session.scalars(select(Site).order_by(Site.id)))


def get_site(session: Session, code: str) -> Site:
    """The site with this code, or a SiteError naming the codes there are."""
    site = session.scalar(select(Site).where(Site.code == code.strip().lower()))
    if site is None:
        known = ", ".join(s.code for s in all_sites(session))
        raise SiteError(f"no site has the code {code!r} (sites: {known})")
    return site


def create_site(session: Session, code: str, details: SiteDetails, *, who: Who, now: datetime,
                installation: Texts | None = None) -> Site:
    """A new clinic of the chain; its name and time zone are required, since its documents print them."""
    code = code.strip().lower()
    if not CODE.fullmatch(code):
        raise SiteError("a site code is 1 to 40 lower-case letters, digits or hyphens, starting with a letter "
                        "or digit (e.g. madrid, valencia-2)")
    if session.scalar(select(func.count()).select_from(Site).where(Site.code == code)):
        raise SiteError(f"a site with the code {code!r} already exists")
    if not (details.name or "").strip():
        raise SiteError('say the name its documents print: --name "Clínica Estética Valencia"')
    if not (details.timezone or "").strip():
        raise SiteError("say its time zone: --timezone Europe/Madrid")
    site = Site(code=code, created_at=now)
    _apply(site, details, installation)
    session.add(site)
    session.flush()
    audit.record(session, who, "site_created", target=code, detail=_detail(site), at=now, commit=False)
    session.commit()
    return site


def update_site(session: Session, code: str, details: SiteDetails, *, who: Who, now: datetime,
                installation: Texts | None = None) -> Site:
    """Change what a site prints on documents signed from now on; documents already sealed keep what they say."""
    site = get_site(session, code)
    _apply(site, details, installation)
    audit.record(session, who, "site_changed", target=site.code, detail=_detail(site), at=now, commit=False)
    session.commit()
    return site


def assign(session: Session, user: User, code: str, *, who: Who, now: datetime, remove: bool = False) -> User:
    """Let a member of staff work at a site (or stop); a desk works at one site, a doctor at any number."""
    site = get_site(session, code)
    if remove:
        if site not in user.sites:
            raise SiteError(f"{user.email} does not work at {site.code}")
        if len(user.sites) == 1 and user.role != "admin":
            raise SiteError(f"{user.email} works only at {site.code}; assign another site first")
        user.sites.remove(site)
    else:
        if site in user.sites:
            raise SiteError(f"{user.email} already works at {site.code}")
        if user.role == "frontdesk" and user.sites:
            raise SiteError(f"a front desk works at one site: {user.email} works at {user.sites[0].code}; "
                            f"remove that first (--remove)")
        user.sites.append(site)
    audit.record(session, who, "site_unassigned" if remove else "site_assigned", target=user.email,
                 detail={"site": site.code}, at=now, commit=False)
    session.commit()
    return user


def sites_for_new_user(session: Session, codes: tuple[str, ...], role: str) -> list[Site]:
    """The sites a new login works at: those named, else the only site of a single clinic."""
    if codes:
        chosen = [get_site(session, code) for code in dict.fromkeys(codes)]
        if role == "frontdesk" and len(chosen) > 1:
            raise SiteError("a front desk works at one site: give one --site")
        return chosen
    sites = all_sites(session)
    if len(sites) == 1 or role == "admin":
        return sites[:1] if len(sites) == 1 else []
    raise SiteError(f"this database holds several sites; say where the login works: --site CODE "
                    f"({', '.join(s.code for s in sites)})")


def staff_of(session: Session, site: Site) -> list[User]:
    """Who works at a site, by address."""
    return list(session.scalars(select(User).where(User.sites.contains(site)).order_by(User.email)))


def site_for_session(session: Session, user: User | None) -> Site:
    """The site a desk session started by this user belongs to: their site, or the only site there is."""
    if user is not None and len(user.sites) == 1:
        return user.sites[0]
    sites = all_sites(session)
    if len(sites) == 1:
        return sites[0]
    raise SiteError("this login works at several sites or none; a desk session needs one site")


def _apply(site: Site, details: SiteDetails, installation: Texts | None) -> None:
    if details.name is not None:
        site.name = _text(details.name, NAME_MAX, "name") or None
    if details.address is not None:
        site.address = _text(details.address, ADDRESS_MAX, "address") or None
    if details.timezone is not None:
        zone = details.timezone.strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SiteError(f"unknown time zone {zone!r} (a name such as Europe/Madrid)") from None
        site.timezone = zone
    if details.public_url is not None:
        url = details.public_url.strip()
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX):
            raise SiteError("the public address is where patients reach /verify, e.g. https://valencia.clinic.example")
        site.public_url = url.rstrip("/") or None
    if details.texts_dir is not None:
        site.texts_dir = _texts_folder(details.texts_dir, installation)


def _texts_folder(value: str, installation: Texts | None) -> str | None:
    """A site's own texts folder, refused unless it validates as the installation's must (every problem named)."""
    if not value.strip():
        return None
    folder = Path(value.strip()).expanduser().resolve()
    if len(str(folder)) > FOLDER_MAX:
        raise SiteError(f"the texts folder's path is longer than {FOLDER_MAX} characters")
    if installation is None:
        raise SiteError("cannot check a texts folder without the installation's texts")
    try:
        check_site_folder(folder, installation)
    except TextsError as exc:
        raise SiteError(f"the texts in {folder} have errors; fix them and run this again:\n{exc}") from None
    return str(folder)


def _text(value: str, limit: int, what: str) -> str:
    value = " ".join(value.split())
    if len(value) > limit:
        raise SiteError(f"the {what} is longer than {limit} characters")
    return value


def _detail(site: Site) -> dict[str, str | None]:
    return {"name": site.name, "address": site.address, "timezone": site.timezone, "public_url": site.public_url,
            "texts_dir": site.texts_dir}
