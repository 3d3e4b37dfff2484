"""Extension objects created once and bound to the app in create_app."""

from __future__ import annotations

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from kiosk.core.db import make_engine
from kiosk.core.translation import KioskBabel

csrf = CSRFProtect()
babel = KioskBabel()
login_manager = LoginManager()


class Database:
    """One SQLAlchemy session per request, closed at teardown so nothing leaks between requests."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["kiosk_db"] = sessionmaker(bind=engine, expire_on_commit=False)
        app.teardown_appcontext(self._close)

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            from flask import current_app

            g.db_session = current_app.extensions["kiosk_db"]()
        return g.db_session

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
