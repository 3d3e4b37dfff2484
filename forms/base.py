"""Forms shared by several pages."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A button-only form: carries the CSRF token for actions that post nothing else."""
