"""Forms of the photo consent (the patient's ticks, or the desk recording a change) and of a treatment photo."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from forms.base import KioskForm
from forms.consent import Checkboxes
from kiosk.core.translation import lazy_gettext as _l
from kiosk.core.vocabulary import PHOTO_VIEW_LABELS


class PhotoChoiceForm(KioskForm):
    """What photos may be used for: each use its own tick, none ticked in advance; none ticked is an answer too."""

    uses = Checkboxes(_l("What may photos of you be used for?"))

    def __init__(self, *args: Any, uses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uses.choices = [SelectChoice(value, label) for value, label in uses]

    def chosen(self) -> list[str]:
        """The ticked uses (an empty list: no photos)."""
        return list(self.uses.data or [])


class PhotoForm(KioskForm):
    """One treatment photo from the device's camera, labelled with its area and view."""

    photo = FileField(_l("Photo"), validators=[FileRequired(_l("Please take or choose a photo."))],
                      description=_l("On a tablet or phone this opens the camera."))
    area = RadioField(_l("Area"), validators=[InputRequired(_l("Please choose the area in the photo."))])
    view = RadioField(_l("View"), validators=[InputRequired(_l("Please choose the view."))],
                      choices=[SelectChoice(v, label) for v, label in PHOTO_VIEW_LABELS.items()])

    def __init__(self, *args: Any, areas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area.choices = [SelectChoice(value, label) for value, label in areas]
