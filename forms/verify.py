"""The public verification page's two forms: upload a PDF, or type the code printed on its pages."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from forms.base import KioskForm
from kiosk.core.translation import lazy_gettext as _l


class VerifyFileForm(KioskForm):
    document = FileField(_l("Consent PDF"), validators=[FileRequired(_l("Please choose the PDF file to check."))],
                         description=_l("The file as you received it, up to 3 MB."),
                         render_kw={"accept": "application/pdf,.pdf"})


class VerifyCodeForm(KioskForm):
    """Sent by GET (a QR code or a typed link lands here), so it carries no CSRF token."""

    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), validators=[
        DataRequired(_l("Please type the code printed at the foot of each page.")),
        Length(max=40, message=_l("A verification code looks like K7PM-2QXR-9TAB."))],
        description=_l("Printed at the foot of every page, for example K7PM-2QXR-9TAB."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
