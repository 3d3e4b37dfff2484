"""The same wizard on a real PostgreSQL server: migrations, a whole consent, and racing double taps."""

from __future__ import annotations


from sqlalchemy import func, select

from app import create_app
from kiosk.core.models import Consent
from tests.support import WizardDriver
from tests.helpers import tap_sign_at_once


def test_a_consent_is_stored_on_postgresql_once_even_when_tapped_four_times_at_once(pg_url: str) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "pg", "DATABASE_URL": pg_url, "AUTO_MIGRATE": False})
    wizard = WizardDriver(app.test_client())
    wizard.start()
    wizard.identity(name="Αλεξάνδρα Παπαδοπούλου")
    wizard.treatment("vitamin_c_injection", areas=("abdomen", "other"), other="Lower back")
    wizard.explanation()
    wizard.risks(app, "vitamin_c_injection")
    wizard.comprehension(app, "vitamin_c_injection")
    wizard.screening(app, "vitamin_c_injection", yes={"vitamin_c_allergy": "rash after a vitamin C serum"})
    wizard.review()
    statuses = tap_sign_at_once(app, wizard)
    assert statuses == [302] * 4
    session = app.extensions["kiosk_db"]()
    assert session.scalar(select(func.count()).select_from(Consent)) == 1
    consent = session.scalars(select(Consent)).one()
    assert consent.patient_name == "Αλεξάνδρα Παπαδοπούλου"
    assert consent.highest_severity == "stop"
    assert consent.record["treatment"]["area_other"] == "Lower back"
    assert consent.documents[0].pdf.startswith(b"%PDF")
    session.close()
    app.extensions["kiosk_db"].kw["bind"].dispose()
