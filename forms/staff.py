"""Staff forms: signing in, and the audit log's filter (a GET form: it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from forms.base import KioskForm
from kiosk.core.translation import lazy_gettext as _l
from kiosk.core.vocabulary import AUDIT_ACTION_LABELS, label


class LoginForm(KioskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter your email.")), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                                         Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class AuditFilterForm(KioskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Who (email contains)"), validators=[Optional(), Length(max=254)])
    document = StringField(_l("Consent document id"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])

    def __init__(self, *args: Any, actions: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("Any")),
                               *(SelectChoice(a, label(AUDIT_ACTION_LABELS, a)) for a in actions)]
