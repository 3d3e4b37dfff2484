"""Form fields draw the same markup through forms.rendering's faster attributes as through WTForms' own."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms.widgets.core import html_params as wtforms_html_params

from forms.rendering import html_params

# the attribute names the templates and forms pass, in WTForms' spellings (class_, data_..., aria-...)
NAMES = st.sampled_from(["id", "name", "type", "value", "class_", "for_", "maxlength", "required", "checked",
                         "disabled", "data_show_if", "aria_describedby", "aria-invalid", "autocomplete",
                         "inputmode", "rows", "placeholder"]) | st.text("ab_-<>&\"' é", min_size=1, max_size=8)
TEXT = st.text() | st.text("ab<>&\"' é")  # any text, and text made of the characters escaping must handle
VALUES = st.one_of(st.booleans(), st.none(), st.integers(), TEXT, TEXT.map(Markup))


@given(st.dictionaries(NAMES, VALUES, max_size=8))
def test_input_attributes_are_the_same_markup_as_wtforms(attributes: dict[str, Any]) -> None:
    assert html_params(**attributes) == wtforms_html_params(**attributes)


def test_hostile_values_stay_inside_their_attribute() -> None:
    drawn = html_params(value='"><script>alert(1)</script>', data_x=Markup('a"b'), required=True, disabled=False)
    assert drawn == 'data-x="a&quot;b" required value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'
