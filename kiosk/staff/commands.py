"""The create-user command: a staff login made from the command line, its password never on the command line.

Every failure is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from kiosk.staff import accounts, sites
from kiosk.core.audit import Who
from kiosk.core.extensions import db
from kiosk.core.web import clinic_now, texts_of


def _fail(message: str, code: int = 1) -> NoReturn:
    # the same shape as kiosk.commands._fail; not imported from there because kiosk.commands imports this module
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _read_password() -> str:
    """Ask twice at a hidden prompt in a terminal; otherwise take one line from standard input (scripts, pipes)."""
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    line = stdin.readline() if stdin is not None else ""
    if not line:
        _fail("no password on standard input (pipe one line to it, or run it in a terminal to be asked)")
    return line.rstrip("\r\n")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", metavar="ROLE", help=f"One of: {', '.join(accounts.ROLES)}.")
@click.option("--name", metavar='"FULL NAME"', help="The person's name, as shown on the staff pages and in reviews.")
@click.option("--site", "site_codes", metavar="CODE", multiple=True,
              help="A clinic of a chain the login works at (repeat for a doctor at several); a single clinic needs none.")
def create_user_command(email: str, role: str | None, name: str | None, site_codes: tuple[str, ...]) -> None:
    """Create a staff login; the password is asked for (hidden, twice), or read as one line from standard input."""
    # no visitor here whose language to use (and app.py's locale selector needs a request): the clinic's default
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        _create_user(email, role, name, site_codes)


def _create_user(email: str, role: str | None, name: str | None, site_codes: tuple[str, ...] = ()) -> None:
    if role is None:
        _fail(f"say which role the login has: --role {'|'.join(accounts.ROLES)}", 2)
    if name is None:
        _fail('say whose login it is: --name "Full Name"', 2)
    try:
        # everything but the password first, so nobody types a password for a command that will fail anyway
        email = accounts.check_new_user(db.session, email=email, role=role, name=name)
        sites.sites_for_new_user(db.session, site_codes, role)
    except (accounts.AccountError, sites.SiteError) as exc:
        _fail(str(exc))
    password = _read_password()
    try:
        user = accounts.create_user(db.session, email=email, role=role, name=name, password=password,
                                    who=Who(actor="cli"), now=clinic_now(), site_codes=site_codes)
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(f"created {user.role} login {user.email} for {user.name}")


_SITE_OPTIONS = (
    click.option("--name", metavar='"NAME"', help="The clinic's name, printed on its documents."),
    click.option("--address", metavar='"ADDRESS"', help="Its address, printed beside the name."),
    click.option("--timezone", metavar="ZONE", help="Its time zone, e.g. Europe/Madrid."),
    click.option("--public-url", metavar="URL", help="Where its patients reach /verify, e.g. https://valencia.clinic.example."),
    click.option("--texts", "texts_dir", metavar="DIR",
                 help="Its own consent texts folder, laid out as consent_texts/ (checked first); \"\" for the installation's."),
)


def _site_options(command: Any) -> Any:
    for option in reversed(_SITE_OPTIONS):
        command = option(command)
    return command


@click.command("create-site")
@with_appcontext
@click.argument("code")
@_site_options
def create_site_command(code: str, name: str | None, address: str | None, timezone: str | None,
                        public_url: str | None, texts_dir: str | None) -> None:
    """Add a clinic to the chain (the first one, `main`, is the clinic as the settings describe it)."""
    try:
        site = sites.create_site(db.session, code, sites.SiteDetails(name, address, timezone, public_url, texts_dir),
                                 who=Who(actor="cli"), now=clinic_now(), installation=texts_of(None))
    except sites.SiteError as exc:
        _fail(str(exc))
    click.echo(f"created site {site.code}: {site.name} ({site.timezone})")


@click.command("edit-site")
@with_appcontext
@click.argument("code")
@_site_options
def edit_site_command(code: str, name: str | None, address: str | None, timezone: str | None,
                      public_url: str | None, texts_dir: str | None) -> None:
    """Change what a site prints on documents signed from now on (an empty value: back to the settings' own)."""
    try:
        site = sites.update_site(db.session, code, sites.SiteDetails(name, address, timezone, public_url, texts_dir),
                                 who=Who(actor="cli"), now=clinic_now(), installation=texts_of(None))
    except sites.SiteError as exc:
        _fail(str(exc))
    click.echo(f"site {site.code}: {site.name or '(the clinic name setting)'}, {site.address or 'no address'}, "
               f"{site.timezone or '(the time zone setting)'}, {site.public_url or '(the public address setting)'}, "
               f"texts: {site.texts_dir or '(the installation texts)'}")


@click.command("assign-site")
@with_appcontext
@click.argument("email")
@click.argument("code")
@click.option("--remove", is_flag=True, help="Stop the login working at that site instead.")
def assign_site_command(email: str, code: str, remove: bool) -> None:
    """Let a member of staff work at a site of the chain (a desk at one, a doctor at any number), or stop."""
    try:
        user = accounts.find_user(db.session, email)
    except accounts.AccountError as exc:
        _fail(str(exc))
    if user is None:
        _fail(f"no staff login has the address {email!r}")
    try:
        sites.assign(db.session, user, code, who=Who(actor="cli"), now=clinic_now(), remove=remove)
    except sites.SiteError as exc:
        _fail(str(exc))
    click.echo(f"{user.email} works at: {', '.join(s.code for s in user.sites) or 'no site'}")


@click.command("sites")
@with_appcontext
def sites_command() -> None:
    """List the sites and who works at each."""
    for site in sites.all_sites(db.session):
        staff = sites.staff_of(db.session, site)
        click.echo(f"{site.code}\t{site.name or '(clinic name setting)'}\t{site.timezone or '(time zone setting)'}"
                   f"\t{len(staff)} staff: {', '.join(u.email for u in staff)}"
                   + (f"\ttexts: {site.texts_dir}" if site.texts_dir else ""))
