"""Placeholder: filled in by the staff-side work."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
