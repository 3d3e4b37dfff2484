"""Placeholder: filled in by the staff-side work."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
