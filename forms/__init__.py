"""WTForms for the patient wizard and the staff pages; validation of single fields only, no database."""
