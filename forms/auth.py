"""Staff login form."""

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from forms.base import KioskForm
from kiosk.translation import lazy_gettext as _l


class LoginForm(KioskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter your email.")), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                                         Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
