"""HTTP response hardening: a strict Content-Security-Policy and no caching of pages that show people's data."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

# Every script and stylesheet is a file the app serves itself: no inline code, no CDN, no frames.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # the signature pad exports a data: URL
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def renew_csrf_token() -> None:
    """Forget the form-token secret at sign-in, so a token seen before it (say, on a shared screen) is worthless after.

    Flask-WTF keeps the secret in the session and caches the signed token in `g`, both under its field name.
    """
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)


# Endpoints that take a file larger than a form may be (MAX_CONTENT_LENGTH), with the setting that bounds the file;
# the form's other fields and the multipart framing get UPLOAD_SLACK on top.
UPLOAD_LIMITS = {"photos.session": "PHOTO_MAX_BYTES"}
UPLOAD_SLACK = 64 * 1024


def init_app(app: Flask) -> None:
    """Add the headers to every response, and trust a reverse proxy's client address when told to."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        # Behind a proxy every request would otherwise come from the proxy's address, so one
        # lockout or code rate limit would hit every tablet and desk at once.
        # ignored method-assign: replacing wsgi_app with a middleware is Flask's documented way to add one
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.before_request
    def _refuse_unreadable_text() -> None:
        # Werkzeug turns bytes that are not UTF-8 into U+FFFD; nobody types that character, so it means the
        # device sent something unreadable, and a name printed on a signed consent must not contain it. No
        # text a person types contains a NUL either (PostgreSQL refuses it, which would surface as a server
        # error). Both get the "could not be read" page up front.
        setting = UPLOAD_LIMITS.get(request.endpoint or "")
        if setting:  # set before anything reads the body, so a camera's photo is not refused as too large a form
            request.max_content_length = int(app.config[setting]) + UPLOAD_SLACK
        try:  # a query string with bytes that are not UTF-8 cannot even be parsed
            values = [request.path, *request.args.values()]
            if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded",
                                                                 "multipart/form-data"):
                values.extend(request.form.values())
        except UnicodeDecodeError:
            abort(400)
        if any("\x00" in value or "\ufffd" in value for value in values):
            abort(400)

    @app.after_request
    def _harden(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint != "static":
            # patient and staff pages hold personal data: the back button on a shared tablet must not show it
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
