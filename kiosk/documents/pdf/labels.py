"""Every string the PDF itself prints, by language; a missing language or key falls back to English."""

from __future__ import annotations

# --------------------------------------------------------------------------
# Labels: every string the PDF itself prints, and how it writes dates, by
# language. A missing language or a missing key falls back to English.
# --------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "lang": "en",  # how dates and times are written: kiosk.core.dates, by language
        "title": "Informed consent \u2014 {modality}",
        "page_of": "Page {page} of {pages}",
        "document": "Document {id}",
        "footer_patient": "Patient: {name} \u00b7 born {dob}",
        "flags_notice": "Screening flags for the doctor: {counts}. See \u201cScreening answers\u201d.",
        "patient": "Patient",
        "full_name": "Full name",
        "date_of_birth": "Date of birth",
        "phone": "Phone",
        "email": "Email",
        "identity_check": "Identity check",
        "identity_checked_for": "Identity the front desk checked",
        "identity_checked_for_value": (
            "{name}, born {dob}: the name or date of birth was changed on the tablet after this check, so the "
            "check does not cover the patient named above; a doctor confirms who signed"
        ),
        "treatment": "Treatment",
        "modality": "Treatment",
        "areas": "Treatment areas",
        "area_other": "Other area",
        "planned_sessions": "Planned sessions",
        "language": "Language of this consent",
        "read_in_other": "Read in another language",
        "part_explanation": "the explanation",
        "part_risk": "risk {n}",
        "part_comprehension": "the comprehension check",
        "part_screening": "the health questions",
        "part_review": "the agreement to sign electronically",
        "read_in_other_value": "{parts}: in {language}, printed here as the patient read it",
        "read_in_note": "The patient read this part in {language}; it is printed as they read it.",
        "risk_read_in": " \u2014 read and acknowledged in {language}",
        "language_switches": "Language switches",
        "col_switch_at": "Time",
        "col_switch": "Switch",
        "switch_value": "{from_language} \u2192 {to_language}",
        "no_language_switches": "The patient did not switch language.",
        "information": "Information given to the patient",
        "risks": "Risks",
        "risks_intro": "The patient acknowledged each risk separately, each with its own tap and time, applying the initials they adopted at the first risk.",
        "acknowledged": "\u2714 Acknowledged \u2014 initials {initials} \u2014 {time}",
        "read_for": " \u2014 on screen {seconds:.0f} s",
        "not_acknowledged": "\u2718 NOT ACKNOWLEDGED",
        "unknown_acks": "Acknowledgements recorded for risks that are not in the texts shown: {ids}",
        "comprehension": "Comprehension check",
        "comprehension_intro": (
            "After the risks the patient answered these questions, the options in an order shuffled for this "
            "patient. A wrong answer was shown the right one with its explanation, then the same question was asked "
            "again with the options in a new order; both answers are below. A wrong first answer is listed for the "
            "doctor as an INFO flag; it did not stop the consent."
        ),
        "comprehension_order": "Options as shown: {options}",
        "comprehension_again": "Asked again, options in a new order. Patient\u2019s answer: {answer}",
        "comprehension_again_order": "Options as shown the second time: {options}",
        "comprehension_chosen": "Patient\u2019s answer: {answer}",
        "comprehension_right": "\u2714 Right",
        "comprehension_wrong": "\u2718 Not right. The right answer: {answer}",
        "screening": "Screening answers",
        "flags_box_title": "For the doctor: {n} flagged answer(s) \u2014 highest: {highest}",
        "no_flags": "No answer raised a flag for the doctor.",
        "flag_question_unknown": "(question {id})",
        "col_no": "#",
        "col_question": "Question",
        "col_answer": "Answer",
        "yes": "Yes",
        "no": "No",
        "not_in_12_months": "Not in the last 12 months",
        "yes_last_dose": "Yes, last dose on %(day)s",  # %-style: record.describe_answer fills it for every page
        "not_answered": "Not answered",
        "detail": "Detail: {detail}",
        "answered_at": "answered {time}",
        "severity_stop": "STOP \u2014 doctor must review",
        "severity_review": "REVIEW",
        "severity_info": "INFO",
        "short_stop": "STOP",
        "short_review": "REVIEW",
        "short_info": "INFO",
        "esign": "Consent to sign electronically",
        "agreed_at": "Agreed at: {time}",
        "consent": "Consent and signature",
        "consent_statement": "Consent statement",
        "signature": "Signature",
        "typed_signature": "(typed signature)",
        "missing_signature": "No signature image was supplied.",
        "printed_name": "Printed name",
        "signed_at": "Date and time signed",
        "meaning": "Meaning of the signature",
        "audit": "Audit page",
        "audit_record": "Record",
        "document_id": "Document id",
        "created_at": "Stored at",
        "texts_version": "Texts version",
        "common_version": "Common texts version",
        "rules_version": "Screening rules version",
        "texts_sha256": "SHA-256 of the texts shown",
        "signature_method": "Signature method",
        "signature_sha256": "SHA-256 of the signature image",
        "method_drawn": "drawn on the tablet",
        "method_typed": "typed name",
        "trail": "Process trail",
        "draft_started_at": "Session started",
        "started_by": "Started by",
        "device_label": "Device",
        "ip_address": "IP address",
        "user_agent": "User agent",
        "col_step": "Step",
        "col_shown": "Shown",
        "col_completed": "Completed",
        "col_seconds": "Seconds",
        "corrections": "Corrections by the patient",
        "col_corrected": "Corrected",
        "col_at": "When",
        "col_from": "From",
        "col_to": "To",
        "corrected_full_name": "Name",
        "corrected_date_of_birth": "Date of birth",
        "corrected_initials": "Initials",
        "corrected_printed_name": "Printed name (differs from the name)",
        "none": "\u2014",
        "verify": "How to verify this document",
        "verify_text": (
            "The clinic keeps the SHA-256 of this PDF file as it was stored. To check "
            "that a copy has not been changed, compute the SHA-256 of the file (for "
            "example with the command: sha256sum consent.pdf) and compare it with the "
            "value the clinic holds; any change to the file, however small, gives a "
            "different value.\n\n"
            "The SHA-256 of the texts shown (above) is a fingerprint of the exact words "
            "the patient was shown: it can be recomputed from the texts stored with the "
            "record and must match. The signature image's SHA-256 can be recomputed "
            "from the stored image in the same way."
        ),
        "review_notice": (
            "Revision {revision}: the consent as the patient signed it, with the doctor\u2019s review added "
            "(see \u201cDoctor\u2019s review\u201d). The patient-signed original is revision 1."
        ),
        "review": "Doctor\u2019s review",
        "review_doctor": "Doctor",
        "review_decision": "Decision",
        "decision_cleared": "Cleared for treatment",
        "decision_not_cleared": "Not cleared for treatment",
        "decision_consultation": "Needs a consultation",
        "decision_representative": "The patient cannot decide alone: a representative must consent",
        "review_decided_at": "Date and time of the decision",
        "review_note": "Doctor\u2019s note",
        "review_no_note": "The doctor left no note.",
        "review_signature": "Doctor\u2019s signature",
        "review_signed": (
            "Signed electronically by {name} ({email}), who confirmed their identity with their password "
            "and ticked the statement below."
        ),
        "review_meaning": "Meaning of the doctor\u2019s signature",
        # what the doctor ticked before signing (forms/review.py SIGNATURE_MEANING), printed in the PDF's language
        "review_meaning_statement": "By signing I confirm that I reviewed the patient's answers and made this decision.",
        "front_desk": "front desk",
        # the desk's identity checks as stored (forms/desk.py), "stored=printed;..."
        "identity_checks": ("ID card shown at the front desk=ID card shown at the front desk;"
                            "Passport shown at the front desk=Passport shown at the front desk;"
                            "Driving licence shown at the front desk=Driving licence shown at the front desk"),
        "step_names": ("identity=About you;treatment=Treatment;explanation=Explanation;risks=Risks;"
                       "comprehension=Understanding;screening=Health questions;review=Review;sign=Signature;"
                       "questions=Questions"),
        "review_revision": "Document revision",
        "review_original_sha256": "SHA-256 of the patient-signed original (revision 1)",
        "audit_review": "Doctor\u2019s review (this revision)",
        "review_verify": (
            "This file is revision {revision}. It was made when the doctor recorded the review above; the "
            "patient\u2019s answers, texts and signature are printed from the same stored record as the "
            "original. The patient-signed original (revision 1) is kept unchanged: its SHA-256, printed "
            "above, can be checked against the clinic\u2019s copy in the same way. The clinic also keeps "
            "the SHA-256 of this revision."
        ),
        "verify_footer": "Verification code {code} \u00b7 {url}",
        "verification": "Verification",
        "verification_code": "Verification code",
        "verification_url": "Check online at",
        "verify_seal": (
            "This PDF is sealed with the clinic\u2019s certificate (a PAdES electronic signature). A PDF reader "
            "shows the seal in its signature panel, and any change to the file, however small, breaks it. "
            "To check a copy, open the address above (or scan the QR code) and upload the file, or type the "
            "verification code printed at the foot of every page. The check says whether the file is intact, "
            "which document and revision it is, and whether a newer revision exists."
        ),
        "opened_with": "Opened on the tablet with",
        "opened_at": "Opened on the tablet at",
        "opened_with_code": "one-time tablet code {code}",
        "opened_on_desk": "the front desk\u2019s own device",
        "risk_step": "risk: {title}",
        "review_area_intro": (
            "Reserved for the doctor\u2019s review. When a doctor reviews this consent, the review and the "
            "doctor\u2019s signature appear in the frame below as a separately signed revision of this file; "
            "everything above stays exactly as the patient signed it, and the patient\u2019s seal stays valid. "
            "A withdrawal of consent is recorded in the same frame, in the same way."
        ),
        "checkin_area_intro": (
            "Reserved for the doctor\u2019s decision on this check-in. It appears in the frame below as a "
            "separately signed revision of this file; everything above stays exactly as the patient signed it, "
            "and the patient\u2019s seal stays valid."
        ),
        "review_current": "The decision that counts (revision {revision}, the latest when this file was made)",
        "history": "Earlier entries in this frame, oldest first (the newest decision counts)",
        "history_intro": (
            "Each is kept in full, with its note and signature, as an earlier revision inside this file "
            "(a PDF reader\u2019s signature panel can show each signed version)."
        ),
        "history_more": (
            "{count} older entries (revisions {first} to {last}) are not listed here; each is kept in full "
            "as its own revision inside this file."
        ),
        "history_more_one": (
            "1 older entry (revision {first}) is not listed here; it is kept in full as its own revision inside "
            "this file."
        ),
        "entry_at": "Date and time",
        "entry_by": "By",
        "entry_what": "Entry",
        "review_verify_sealed": (
            "This review is revision {revision} of the document, added to the sealed file as an incremental "
            "update with its own seal. The pages the patient signed are unchanged inside this file, and their "
            "seal still verifies; the SHA-256 of the patient-signed original (revision 1) is printed above."
        ),
        "language_names": (
            "en=English;es=Spanish;ca=Catalan;fr=French;de=German;it=Italian;pt=Portuguese"
        ),
        # the FHIR export (kiosk.documents.fhir): item labels, revision titles, decisions with a note
        "fhir_initials": "Initials",
        "fhir_acknowledged_at": "Acknowledged at",
        "fhir_detail": "Detail",
        "fhir_last_dose": "Date of the last dose",
        "fhir_comprehension_correct": "Chose the right answer",
        "fhir_comprehension_right_answer": "The right answer",
        "fhir_comprehension_again": "The answer when asked again",
        "fhir_read_in": "Language read and acknowledged in",
        "fhir_revision_title": "{document_id}, revision {revision}: {kind}",
        "fhir_kind_patient_signed": "the consent as the patient signed it",
        "fhir_kind_doctor_review": "the doctor\u2019s decision \u2014 {decision}",
        "fhir_kind_withdrawal": "the withdrawal of consent",
        "fhir_decision_note": "{decision}. Doctor\u2019s note: {note}",
    },
    "es": {
        "lang": "es",
        "title": "Consentimiento informado \u2014 {modality}",
        "page_of": "P\u00e1gina {page} de {pages}",
        "document": "Documento {id}",
        "footer_patient": "Paciente: {name} \u00b7 fecha de nacimiento {dob}",
        "flags_notice": ("Alertas del cuestionario para el m\u00e9dico: {counts}. "
                         "V\u00e9ase \u00abRespuestas al cuestionario de salud\u00bb."),
        "patient": "Paciente",
        "full_name": "Nombre y apellidos",
        "date_of_birth": "Fecha de nacimiento",
        "phone": "Tel\u00e9fono",
        "email": "Correo electr\u00f3nico",
        "identity_check": "Comprobaci\u00f3n de identidad",
        "identity_checked_for": "Identidad que comprob\u00f3 la recepci\u00f3n",
        "identity_checked_for_value": (
            "{name}, nacido/a el {dob}: el nombre o la fecha de nacimiento se cambiaron en la tableta despu\u00e9s "
            "de esta comprobaci\u00f3n, as\u00ed que no cubre al paciente indicado arriba; un m\u00e9dico confirma "
            "qui\u00e9n firm\u00f3"
        ),
        "treatment": "Tratamiento",
        "modality": "Tratamiento",
        "areas": "Zonas que se van a tratar",
        "area_other": "Otra zona",
        "planned_sessions": "Sesiones previstas",
        "language": "Idioma de este consentimiento",
        "read_in_other": "Le\u00eddo en otro idioma",
        "part_explanation": "la explicaci\u00f3n",
        "part_risk": "riesgo {n}",
        "part_comprehension": "las preguntas de comprensi\u00f3n",
        "part_screening": "el cuestionario de salud",
        "part_review": "la conformidad con la firma electr\u00f3nica",
        "read_in_other_value": "{parts}: en {language}, impreso aqu\u00ed tal como lo ley\u00f3 el paciente",
        "read_in_note": "El paciente ley\u00f3 esta parte en {language}; se imprime tal como la ley\u00f3.",
        "risk_read_in": " \u2014 le\u00eddo y confirmado en {language}",
        "language_switches": "Cambios de idioma",
        "col_switch_at": "Hora",
        "col_switch": "Cambio",
        "switch_value": "{from_language} \u2192 {to_language}",
        "no_language_switches": "El paciente no cambi\u00f3 de idioma.",
        "information": "Informaci\u00f3n facilitada al paciente",
        "risks": "Riesgos",
        "risks_intro": "El paciente confirm\u00f3 cada riesgo por separado, cada uno con su propio toque y su hora, aplicando las iniciales que adopt\u00f3 en el primer riesgo.",
        "acknowledged": "\u2714 Confirmado \u2014 iniciales {initials} \u2014 {time}",
        "read_for": " \u2014 en pantalla {seconds:.0f} s",
        "not_acknowledged": "\u2718 NO CONFIRMADO",
        "unknown_acks": "Confirmaciones registradas de riesgos que no figuran en los textos mostrados: {ids}",
        "comprehension": "Preguntas de comprensi\u00f3n",
        "comprehension_intro": (
            "Tras los riesgos, el paciente respondi\u00f3 estas preguntas, con las opciones en un orden barajado "
            "para este paciente. Ante una respuesta incorrecta se le mostr\u00f3 la correcta con su "
            "explicaci\u00f3n y se le volvi\u00f3 a hacer la misma pregunta con las opciones en otro orden; abajo "
            "figuran las dos respuestas. Una primera respuesta incorrecta figura para el m\u00e9dico como alerta "
            "de INFORMACI\u00d3N; no impidi\u00f3 el consentimiento."
        ),
        "comprehension_order": "Opciones tal como se mostraron: {options}",
        "comprehension_again": "Preguntada de nuevo, con las opciones en otro orden. Respuesta del paciente: {answer}",
        "comprehension_again_order": "Opciones tal como se mostraron la segunda vez: {options}",
        "comprehension_chosen": "Respuesta del paciente: {answer}",
        "comprehension_right": "\u2714 Correcta",
        "comprehension_wrong": "\u2718 Incorrecta. La respuesta correcta: {answer}",
        "screening": "Respuestas al cuestionario de salud",
        "flags_box_title": "Para el m\u00e9dico: {n} respuesta(s) con alerta \u2014 la m\u00e1s alta: {highest}",
        "no_flags": "Ninguna respuesta ha generado una alerta para el m\u00e9dico.",
        "flag_question_unknown": "(pregunta {id})",
        "col_no": "N.\u00ba",
        "col_question": "Pregunta",
        "col_answer": "Respuesta",
        "yes": "S\u00ed",
        "no": "No",
        "not_in_12_months": "No en los \u00faltimos 12 meses",
        "yes_last_dose": "S\u00ed, \u00faltima dosis el %(day)s",
        "not_answered": "Sin responder",
        "detail": "Detalle: {detail}",
        "answered_at": "respondida el {time}",
        "severity_stop": "BLOQUEO \u2014 debe revisarlo el m\u00e9dico",
        "severity_review": "REVISAR",
        "severity_info": "INFORMACI\u00d3N",
        "short_stop": "BLOQUEO",
        "short_review": "REVISAR",
        "short_info": "INFORMACI\u00d3N",
        "esign": "Consentimiento para firmar electr\u00f3nicamente",
        "agreed_at": "Aceptado el: {time}",
        "consent": "Consentimiento y firma",
        "consent_statement": "Declaraci\u00f3n de consentimiento",
        "signature": "Firma",
        "typed_signature": "(firma escrita)",
        "missing_signature": "No se ha aportado ninguna imagen de la firma.",
        "printed_name": "Nombre en letra de imprenta",
        "signed_at": "Fecha y hora de la firma",
        "meaning": "Significado de la firma",
        "audit": "P\u00e1gina de auditor\u00eda",
        "audit_record": "Registro",
        "document_id": "N\u00famero de documento",
        "created_at": "Guardado el",
        "texts_version": "Versi\u00f3n de los textos",
        "common_version": "Versi\u00f3n de los textos comunes",
        "rules_version": "Versi\u00f3n de las reglas del cuestionario",
        "texts_sha256": "SHA-256 de los textos mostrados",
        "signature_method": "Forma de firma",
        "signature_sha256": "SHA-256 de la imagen de la firma",
        "method_drawn": "dibujada en la tableta",
        "method_typed": "nombre escrito",
        "trail": "Registro del proceso",
        "draft_started_at": "Inicio de la sesi\u00f3n",
        "started_by": "Iniciada por",
        "device_label": "Dispositivo",
        "ip_address": "Direcci\u00f3n IP",
        "user_agent": "Navegador (user agent)",
        "col_step": "Paso",
        "col_shown": "Mostrado",
        "col_completed": "Completado",
        "col_seconds": "Segundos",
        "corrections": "Correcciones del paciente",
        "col_corrected": "Corregido",
        "col_at": "Cuándo",
        "col_from": "Antes",
        "col_to": "Después",
        "corrected_full_name": "Nombre",
        "corrected_date_of_birth": "Fecha de nacimiento",
        "corrected_initials": "Iniciales",
        "corrected_printed_name": "Nombre en letra de imprenta (distinto del nombre)",
        "none": "\u2014",
        "verify": "C\u00f3mo comprobar este documento",
        "verify_text": (
            "La cl\u00ednica conserva el SHA-256 de este archivo PDF tal como se guard\u00f3. Para comprobar "
            "que una copia no se ha modificado, calcule el SHA-256 del archivo (por ejemplo, con la orden: "
            "sha256sum consentimiento.pdf) y comp\u00e1relo con el valor que conserva la cl\u00ednica; "
            "cualquier cambio en el archivo, por peque\u00f1o que sea, da un valor distinto.\n\n"
            "El SHA-256 de los textos mostrados (arriba) es una huella de las palabras exactas que vio el "
            "paciente: se puede volver a calcular a partir de los textos guardados con el registro y debe "
            "coincidir. El SHA-256 de la imagen de la firma se puede volver a calcular del mismo modo a partir "
            "de la imagen guardada."
        ),
        "review_notice": (
            "Revisi\u00f3n {revision}: el consentimiento tal como lo firm\u00f3 el paciente, con la revisi\u00f3n "
            "del m\u00e9dico a\u00f1adida (v\u00e9ase \u00abRevisi\u00f3n del m\u00e9dico\u00bb). El original "
            "firmado por el paciente es la revisi\u00f3n 1."
        ),
        "review": "Revisi\u00f3n del m\u00e9dico",
        "review_doctor": "M\u00e9dico",
        "review_decision": "Decisi\u00f3n",
        "decision_cleared": "Autorizado para el tratamiento",
        "decision_not_cleared": "No autorizado para el tratamiento",
        "decision_consultation": "Requiere consulta m\u00e9dica",
        "decision_representative": "El paciente no puede decidir solo: debe consentir un representante",
        "review_decided_at": "Fecha y hora de la decisi\u00f3n",
        "review_note": "Nota del m\u00e9dico",
        "review_no_note": "El m\u00e9dico no dej\u00f3 ninguna nota.",
        "review_signature": "Firma del m\u00e9dico",
        "review_signed": (
            "Firmado electr\u00f3nicamente por {name} ({email}), que confirm\u00f3 su identidad con su "
            "contrase\u00f1a y marc\u00f3 la declaraci\u00f3n siguiente."
        ),
        "review_meaning": "Significado de la firma del m\u00e9dico",
        "review_meaning_statement": ("Con mi firma confirmo que he revisado las respuestas del paciente y he tomado "
                                     "esta decisi\u00f3n."),
        "front_desk": "recepci\u00f3n",
        "identity_checks": ("ID card shown at the front desk=DNI mostrado en recepci\u00f3n;"
                            "Passport shown at the front desk=Pasaporte mostrado en recepci\u00f3n;"
                            "Driving licence shown at the front desk=Permiso de conducir mostrado en recepci\u00f3n"),
        "step_names": ("identity=Sobre usted;treatment=Tratamiento;explanation=Explicaci\u00f3n;"
                       "risks=Riesgos;comprehension=Comprensi\u00f3n;"
                       "screening=Preguntas de salud;review=Repaso;sign=Firma;questions=Preguntas"),
        "review_revision": "Revisi\u00f3n del documento",
        "review_original_sha256": "SHA-256 del original firmado por el paciente (revisi\u00f3n 1)",
        "audit_review": "Revisi\u00f3n del m\u00e9dico (esta revisi\u00f3n)",
        "review_verify": (
            "Este archivo es la revisi\u00f3n {revision}. Se gener\u00f3 cuando el m\u00e9dico registr\u00f3 la "
            "revisi\u00f3n que figura m\u00e1s arriba; las respuestas, los textos y la firma del paciente se "
            "imprimen a partir del "
            "mismo registro guardado que el original. El original firmado por el paciente (revisi\u00f3n 1) se "
            "conserva sin cambios: su SHA-256, impreso arriba, se puede comprobar del mismo modo con la copia "
            "de la cl\u00ednica. La cl\u00ednica conserva tambi\u00e9n el SHA-256 de esta revisi\u00f3n."
        ),
        "verify_footer": "C\u00f3digo de verificaci\u00f3n {code} \u00b7 {url}",
        "verification": "Verificaci\u00f3n",
        "verification_code": "C\u00f3digo de verificaci\u00f3n",
        "verification_url": "Comprobaci\u00f3n en l\u00ednea",
        "verify_seal": (
            "Este PDF est\u00e1 sellado con el certificado de la cl\u00ednica (una firma electr\u00f3nica PAdES). "
            "Un lector de PDF muestra el sello en su panel de firmas, y cualquier cambio en el archivo, por "
            "peque\u00f1o que sea, lo rompe. Para comprobar una copia, abra la direcci\u00f3n indicada arriba (o "
            "escanee el c\u00f3digo QR) y suba el archivo, o escriba el c\u00f3digo de verificaci\u00f3n que "
            "figura al pie de cada p\u00e1gina. La comprobaci\u00f3n indica si el archivo est\u00e1 \u00edntegro, "
            "de qu\u00e9 documento y revisi\u00f3n se trata, y si existe una revisi\u00f3n m\u00e1s reciente."
        ),
        "opened_with": "Abierto en la tableta con",
        "opened_at": "Abierto en la tableta el",
        "opened_with_code": "c\u00f3digo de tableta de un solo uso {code}",
        "opened_on_desk": "el propio dispositivo de recepci\u00f3n",
        "risk_step": "riesgo: {title}",
        "review_area_intro": (
            "Reservado para la revisi\u00f3n del m\u00e9dico. Cuando un m\u00e9dico revise este consentimiento, "
            "la revisi\u00f3n y la firma del m\u00e9dico aparecer\u00e1n en el recuadro de abajo como una "
            "revisi\u00f3n de este archivo firmada por separado; todo lo anterior queda exactamente como lo "
            "firm\u00f3 el paciente, y el sello del paciente sigue siendo v\u00e1lido. "
            "Una revocaci\u00f3n del consentimiento se registra en el mismo recuadro, de la misma forma."
        ),
        "checkin_area_intro": (
            "Reservado para la decisi\u00f3n del m\u00e9dico sobre este control. Aparecer\u00e1 en el recuadro "
            "de abajo como una revisi\u00f3n de este archivo firmada por separado; todo lo anterior queda "
            "exactamente como lo firm\u00f3 el paciente, y el sello del paciente sigue siendo v\u00e1lido."
        ),
        "review_current": "La decisión que cuenta (revisión {revision}, la más reciente cuando se generó este archivo)",
        "history": "Anotaciones anteriores en este recuadro, de la m\u00e1s antigua a la m\u00e1s reciente (cuenta la decisi\u00f3n m\u00e1s reciente)",
        "history_intro": (
            "Cada una se conserva completa, con su nota y su firma, como una revisi\u00f3n anterior dentro de "
            "este archivo (el panel de firmas de un lector de PDF puede mostrar cada versi\u00f3n firmada)."
        ),
        "history_more": (
            "{count} anotaciones m\u00e1s antiguas (revisiones {first} a {last}) no se enumeran aqu\u00ed; cada una "
            "se conserva completa como su propia revisi\u00f3n dentro de este archivo."
        ),
        "history_more_one": (
            "1 anotaci\u00f3n m\u00e1s antigua (revisi\u00f3n {first}) no se enumera aqu\u00ed; se conserva completa "
            "como su propia revisi\u00f3n dentro de este archivo."
        ),
        "entry_at": "Fecha y hora",
        "entry_by": "Por",
        "entry_what": "Anotaci\u00f3n",
        "review_verify_sealed": (
            "La revisi\u00f3n del m\u00e9dico corresponde a la revisi\u00f3n {revision} del documento, "
            "a\u00f1adida al archivo sellado como actualizaci\u00f3n incremental con su propio sello. Las "
            "p\u00e1ginas que firm\u00f3 el paciente no cambian dentro de este archivo, y su sello se sigue "
            "pudiendo verificar; el SHA-256 del original firmado por el paciente (revisi\u00f3n 1) figura m\u00e1s "
            "arriba."
        ),
        "language_names": (
            # lower case, as Spanish writes them mid-sentence; language_name(..., alone=True) capitalises a value
            "en=ingl\u00e9s;es=espa\u00f1ol;ca=catal\u00e1n;fr=franc\u00e9s;de=alem\u00e1n;"
            "it=italiano;pt=portugu\u00e9s"
        ),
        "fhir_initials": "Iniciales",
        "fhir_acknowledged_at": "Confirmado el",
        "fhir_detail": "Detalle",
        "fhir_last_dose": "Fecha de la \u00faltima dosis",
        "fhir_comprehension_correct": "Eligi\u00f3 la respuesta correcta",
        "fhir_comprehension_right_answer": "La respuesta correcta",
        "fhir_comprehension_again": "La respuesta al preguntarle de nuevo",
        "fhir_read_in": "Idioma en que se ley\u00f3 y confirm\u00f3",
        "fhir_revision_title": "{document_id}, revisi\u00f3n {revision}: {kind}",
        "fhir_kind_patient_signed": "el consentimiento tal como lo firm\u00f3 el paciente",
        "fhir_kind_doctor_review": "la decisi\u00f3n del m\u00e9dico \u2014 {decision}",
        "fhir_kind_withdrawal": "la revocaci\u00f3n del consentimiento",
        "fhir_decision_note": "{decision}. Nota del m\u00e9dico: {note}",
    },
}

_labels_cache: dict[str, dict[str, str]] = {}


def labels_for(language: str | None) -> dict[str, str]:
    """Merge a language's labels over English so a partial translation still prints."""
    key = (language or "en").lower()
    merged = _labels_cache.get(key)
    if merged is None:
        merged = dict(LABELS["en"])
        merged.update(LABELS.get(key) or LABELS.get(key.split("-")[0]) or {})
        _labels_cache[key] = merged
    return merged


# Only what these two documents print beyond the consent's own labels (kiosk.documents.pdf.labels), by language.
COURSE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "checkin_title": "Check-in before a session \u2014 {modality}",
        "checkin_details": "Check-in",
        "consent_document": "Consent it belongs to",
        "session_number": "Session",
        "screening": "What changed since the last session",
        "checkin_statement": "Statement",
        "checkin_verify": (
            "This check-in belongs to the consent named above and does not replace it. The clinic keeps the "
            "SHA-256 of this PDF; compute the SHA-256 of a copy (for example: sha256sum checkin.pdf) and compare. "
            "The SHA-256 of the texts shown is a fingerprint of the exact questions and statement the patient read."
        ),
        "withdrawal_current": "Consent withdrawn (revision {revision}, the latest when this file was made)",
        "withdrawal_notice": (
            "Revision {revision}: the patient withdrew this consent. No further session may take place under it. "
            "Earlier revisions, including the patient-signed original, stay unchanged."
        ),
        "withdrawal": "Withdrawal",
        "withdrawn_at": "Withdrawn at",
        "withdrawal_recorded_by": "Recorded by",
        "withdrawal_how": "How the patient told the clinic",
        "withdrawal_reason": "Reason given",
        "withdrawal_no_reason": "The patient gave no reason.",
        "sessions_done": "Sessions recorded under this consent",
        "how_in_person": "In person at the clinic",
        "how_phone": "By telephone",
        "how_writing": "In writing",
        "photo_consent_current": "Photo consent (revision {revision}, the latest when this file was made)",
        "photo_consent_notice": (
            "Revision {revision}: what photos of the patient may be used for. This choice replaces any earlier "
            "one; it does not change the treatment consent or any doctor\u2019s decision."
        ),
        "photo_use_allowed": "Allowed",
        "photo_use_refused": "Not allowed",
        "photo_recorded_at": "Chosen at",
        "photo_recorded_by": "Recorded by",
        "photo_recorded_tablet": "The patient, on the clinic\u2019s tablet",
        "photo_recorded_desk": "{name}, at the front desk, as the patient asked",
        "photo_none": "No photos may be taken or used.",
        "photo_entry": "Photo consent. Allowed: {uses}",
        "photo_entry_none": "Photo consent: no photos may be taken or used.",
        "photo_in_force": "Photo consent in force (revision {revision}); this revision does not change it",
        "photo_verify_sealed": (
            "This photo consent is revision {revision} of the document, added to the sealed file as an incremental "
            "update with its own seal. The pages the patient signed are unchanged inside this file, and their "
            "seal still verifies."
        ),
        "fhir_kind_photo_consent": "the patient\u2019s photo consent",
        "withdrawal_verify_sealed": (
            "This withdrawal is revision {revision} of the document, added to the sealed file as an incremental "
            "update with its own seal. The pages the patient signed are unchanged inside this file, and their "
            "seal still verifies. Nothing was deleted: the clinic keeps every revision and the consent\u2019s "
            "history for at least 5 years."
        ),
    },
    "es": {
        "checkin_title": "Control antes de una sesión \u2014 {modality}",
        "checkin_details": "Control",
        "consent_document": "Consentimiento al que pertenece",
        "session_number": "Sesión",
        "screening": "Qué ha cambiado desde la última sesión",
        "checkin_statement": "Declaración",
        "checkin_verify": (
            "Este control pertenece al consentimiento indicado arriba y no lo sustituye. La clínica guarda el "
            "SHA-256 de este PDF; calcule el SHA-256 de una copia (por ejemplo: sha256sum control.pdf) y compárelos. "
            "El SHA-256 de los textos mostrados es la huella de las preguntas y la declaración exactas que leyó "
            "el paciente."
        ),
        "withdrawal_current": "Consentimiento revocado (revisi\u00f3n {revision}, la m\u00e1s reciente cuando se gener\u00f3 este archivo)",
        "withdrawal_notice": (
            "Revisión {revision}: el paciente revocó este consentimiento. No puede hacerse ninguna sesión más con él. "
            "Las revisiones anteriores, incluido el original firmado por el paciente, no cambian."
        ),
        "withdrawal": "Revocación",
        "withdrawn_at": "Revocado el",
        "withdrawal_recorded_by": "Registrado por",
        "withdrawal_how": "Cómo lo comunicó el paciente",
        "withdrawal_reason": "Motivo indicado",
        "withdrawal_no_reason": "El paciente no indicó ningún motivo.",
        "sessions_done": "Sesiones registradas con este consentimiento",
        "how_in_person": "En persona, en la clínica",
        "how_phone": "Por teléfono",
        "how_writing": "Por escrito",
        "photo_consent_current": "Consentimiento de fotos (revisi\u00f3n {revision}, la m\u00e1s reciente cuando se gener\u00f3 este archivo)",
        "photo_consent_notice": (
            "Revisi\u00f3n {revision}: para qu\u00e9 se pueden usar las fotos del paciente. Esta elecci\u00f3n sustituye "
            "a cualquier otra anterior; no cambia el consentimiento del tratamiento ni las decisiones de los m\u00e9dicos."
        ),
        "photo_use_allowed": "Permitido",
        "photo_use_refused": "No permitido",
        "photo_recorded_at": "Elegido el",
        "photo_recorded_by": "Registrado por",
        "photo_recorded_tablet": "El paciente, en la tableta de la cl\u00ednica",
        "photo_recorded_desk": "{name}, en recepci\u00f3n, a petici\u00f3n del paciente",
        "photo_none": "No se puede hacer ni usar ninguna foto.",
        "photo_entry": "Consentimiento de fotos. Permitido: {uses}",
        "photo_entry_none": "Consentimiento de fotos: no se puede hacer ni usar ninguna foto.",
        "photo_in_force": "Consentimiento de fotos vigente (revisi\u00f3n {revision}); esta revisi\u00f3n no lo cambia",
        "photo_verify_sealed": (
            "Este consentimiento de fotos es la revisi\u00f3n {revision} del documento, a\u00f1adida al archivo sellado "
            "como una actualizaci\u00f3n incremental con su propio sello. Las p\u00e1ginas que firm\u00f3 el paciente no "
            "cambian dentro de este archivo y su sello sigue verific\u00e1ndose."
        ),
        "fhir_kind_photo_consent": "el consentimiento de fotos del paciente",
        "withdrawal_verify_sealed": (
            "Esta revocaci\u00f3n es la revisi\u00f3n {revision} del documento, a\u00f1adida al archivo sellado como "
            "una actualizaci\u00f3n incremental con su propio sello. Las p\u00e1ginas que firm\u00f3 el paciente no cambian "
            "dentro de este archivo y su sello sigue verific\u00e1ndose. No se ha borrado nada: la cl\u00ednica conserva "
            "todas las revisiones y el historial del consentimiento al menos 5 a\u00f1os."
        ),
    },
}


def course_labels(language: str | None) -> dict[str, str]:
    """The consent PDF's labels with this module's on top, English where a language lacks one."""
    key = (language or "en").lower().split("-")[0]
    return {**labels_for(language), **COURSE_LABELS["en"], **COURSE_LABELS.get(key, {})}
