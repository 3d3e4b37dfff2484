"""Placeholder: filled in by the staff-side work."""

from flask import Blueprint

bp = Blueprint("doctor", __name__, url_prefix="/doctor")
