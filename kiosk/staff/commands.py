"""The create-user command: a staff login made from the command line, its password never on the command line.

Every failure is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from kiosk.staff import accounts
from kiosk.core.audit import Who
from kiosk.core.extensions import db
from kiosk.core.web import clinic_now


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
def create_user_command(email: str, role: str | None, name: str | None) -> None:
    """Create a staff login; the password is asked for (hidden, twice), or read as one line from standard input."""
    # no visitor here whose language to use (and app.py's locale selector needs a request): the clinic's default
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        _create_user(email, role, name)


def _create_user(email: str, role: str | None, name: str | None) -> None:
    if role is None:
        _fail(f"say which role the login has: --role {'|'.join(accounts.ROLES)}", 2)
    if name is None:
        _fail('say whose login it is: --name "Full Name"', 2)
    try:
        # everything but the password first, so nobody types a password for a command that will fail anyway
        email = accounts.check_new_user(db.session, email=email, role=role, name=name)
    except accounts.AccountError as exc:
        _fail(str(exc))
    password = _read_password()
    try:
        user = accounts.create_user(db.session, email=email, role=role, name=name, password=password,
                                    who=Who(actor="cli"), now=clinic_now())
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(f"created {user.role} login {user.email} for {user.name}")
