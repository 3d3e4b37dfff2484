"""Friendly error pages: a patient or nurse never sees a stack trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.wrappers import Response


def register_error_handlers(app: Flask, broken_texts: tuple[type[Exception], ...] = ()) -> None:
    """One template for every HTTP error, with a message people can act on.

    `broken_texts`: the errors of a site's own consent texts folder found broken at first use (kiosk.texts).
    """
    for error in broken_texts:
        @app.errorhandler(error)
        def texts_broken(exc: Exception) -> Any:
            app.logger.error("A site's consent texts have errors:\n%s", exc)
            message = _("This clinic's consent texts cannot be shown just now, so nothing can be signed here. "
                        "Nothing you entered has been lost. Please ask the front desk: the administrator must "
                        "correct the texts, and a paper form can be used meanwhile.")
            return render_template("error.html", title=_("Not available just now"), message=message), 503

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> Any:
        message = _("This page had expired, so nothing was saved from it. Please go back, reload the page and try again.")
        return render_template("error.html", title=_("Please try again"), message=message), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(_exc: SecurityError) -> Any:
        # a request for a host outside KIOSK_TRUSTED_HOSTS: no page can be built, since every link and
        # stylesheet address on it would name the host the request claimed
        return Response(_("This address is not one this clinic's system answers to."), 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        messages = {
            400: _("The information sent could not be read. Please try again."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This page cannot be used that way."),
            413: _("What you sent is too large. A signature must be under 1 MB."),
        }
        titles = {
            400: _("The page could not be read"),
            403: _("No access"),
            404: _("Page not found"),
            405: _("Not possible here"),
            413: _("Too large"),
        }
        message = messages.get(exc.code or 500, _("Something went wrong. Please ask the staff for help."))
        title = titles.get(exc.code or 500, _("Something went wrong"))
        return render_template("error.html", title=title, message=message), exc.code or 500

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError) -> Any:
        # a cut connection, a database restart or a lock held too long: nothing half-stored, so trying again is safe
        app.logger.warning("Database unavailable: %s", exc.orig)
        message = _("The clinic's records could not be reached just now. Nothing you entered has been lost. "
                    "Please try again in a moment.")
        return render_template("error.html", title=_("Please try again"), message=message), 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        app.logger.exception("Unhandled error", exc_info=exc)
        message = _("Something went wrong on our side. What you entered before this page is saved. Please ask the staff for help.")
        return render_template("error.html", title=_("Sorry"), message=message), 500
