"""What the PDF and the FHIR export print about the people who signed after the patient, by language."""

from __future__ import annotations

PEOPLE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "people": "Representative, interpreter and witness",
        "patient_assent": "The patient's signature above is their assent.",
        "representative": "Representative's consent",
        "interpreter": "Interpreter's statement",
        "witness": "Witness's statement",
        "consents_for": "Consents for",
        "consents_for_value": "{name}, born {dob}",
        "relationship": "Relationship to the patient",
        "relationship_parent": "parent",
        "relationship_legal_guardian": "legal guardian",
        "relationship_other_legal_representative": "other legal representative",
        "represent_reason": "Why a representative consents",
        "represent_reason_minor": "the patient is a minor",
        "represent_reason_cannot_decide_alone": "the front desk or the doctor recorded that the patient cannot decide alone",
        "interpreted_into": "Interpreted into",
        "representative_identity_check": "Representative's identity check",
        "not_checked": "not checked",
        "role_representative": "representative",
        "role_interpreter": "interpreter",
        "role_witness": "witness",
    },
    "es": {
        "people": "Representante, intérprete y testigo",
        "patient_assent": "La firma del paciente de arriba es su asentimiento.",
        "representative": "Consentimiento del representante",
        "interpreter": "Declaración del intérprete",
        "witness": "Declaración del testigo",
        "consents_for": "Consiente en nombre de",
        "consents_for_value": "{name}, nacido/a el {dob}",
        "relationship": "Relación con el paciente",
        "relationship_parent": "padre o madre",
        "relationship_legal_guardian": "tutor legal",
        "relationship_other_legal_representative": "otro representante legal",
        "represent_reason": "Por qué consiente un representante",
        "represent_reason_minor": "el paciente es menor de edad",
        "represent_reason_cannot_decide_alone": "recepción o el médico anotaron que el paciente no puede decidir solo",
        "interpreted_into": "Idioma de la interpretación",
        "representative_identity_check": "Comprobación de identidad del representante",
        "not_checked": "no comprobada",
        "role_representative": "representante",
        "role_interpreter": "intérprete",
        "role_witness": "testigo",
    },
}


def people_labels(language: str | None) -> dict[str, str]:
    """A language's words over English, so a partial translation still prints."""
    key = (language or "en").lower().split("-")[0]
    return {**PEOPLE_LABELS["en"], **PEOPLE_LABELS.get(key, {})}
