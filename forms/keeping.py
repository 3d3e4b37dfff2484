"""Forms of keeping records: the button that produces a patient's own data, asked once before it is made."""

from __future__ import annotations

from wtforms import HiddenField

from forms.base import KioskForm


class PatientDataForm(KioskForm):
    """Produce everything held about one patient; "yes" once staff have read what it holds (no JavaScript needed)."""

    confirmed = HiddenField()
