"""Benign traffic of the patient portal, booking system and FHIR API."""
import base64
import json
import urllib.parse
from common import *
from attack_ctx import fake_jwt
from benign_text import NAMES, ADDRESSES, MESSAGES, NOTES, SEARCHES

rows = []


def add(method, uri, headers, body, desc, carrier):
    rows.append(row("eval-benign-%03d" % (len(rows) + 1), "benign", method, uri, headers, body, "benign", desc, carrier))


def api_headers(kind="json", ctype=None):
    h = base_headers(kind)
    h["Authorization"] = "Bearer " + fake_jwt()
    if ctype:
        h["Content-Type"] = ctype
    return h


def web_headers(ctype=None, referer=None):
    h = base_headers("html")
    h["Cookie"] = session_cookie()
    if ctype:
        h["Content-Type"] = ctype
        h["Origin"] = "https://" + HOST
    if referer:
        h["Referer"] = "https://" + HOST + referer
    return h


def uuid():
    hx = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return "%s-%s-4%s-%s-%s" % (hx[:8], hx[8:12], hx[13:16], rng.choice("89ab") + hx[17:20], hx[20:32])


def fhir_dumps(obj):
    return json.dumps(obj, ensure_ascii=False, indent=rng.choice([None, 2]))


# ---- A. FHIR searches -------------------------------------------------------------------------
FHIR_SEARCHES = [
    "Patient?family=O%27Brien&given=Siobhan&birthdate=1979-03-02",
    "Patient?name=D%27Angelo&_count=10",
    "Patient?identifier=urn:oid:2.16.840.1.113883.4.1%7C123-45-6789",
    "Patient?identifier=http://hospital.example-health.test/mrn%7CMRN00042",
    "Patient?_id=%s&_include=Patient:general-practitioner",
    "Patient?name:contains=smith-jo&address-city=Springfield&_sort=family,given",
    "Patient?telecom=email%7Canna.smith%2Bhealth@example.com",
    "Patient?phone=%2B15552017788",
    "Observation?patient=Patient/%s&code=http://loinc.org%7C4548-4&_sort=-date&_count=50",
    "Observation?subject=Patient/1042&category=laboratory&date=ge2024-01-01&date=lt2024-12-01",
    "Observation?code=http://loinc.org%7C8867-4,http://loinc.org%7C8480-6&_include=Observation:patient",
    "Observation?code=http://loinc.org|1234-5&value-quantity=gt5.4|http://unitsofmeasure.org|mmol/L",
    "Observation?patient=1042&code=urn:oid:2.16.840.1.113883.6.1%7C2345-7&_summary=count",
    "Observation?_has:DiagnosticReport:result:status=final&patient=1042",
    "Observation?combo-code-value-quantity=http://loinc.org%7C8480-6$gt140",
    "Condition?patient=1042&clinical-status=active&code=http://snomed.info/sct%7C44054006",
    "Condition?code:below=http://snomed.info/sct%7C73211009&_elements=code,onsetDateTime",
    "MedicationRequest?patient=1042&status=active&_include=MedicationRequest:medication",
    "MedicationRequest?intent=order&authoredon=ge2024-06-01&_sort=-authoredon&_revinclude=Provenance:target",
    "AllergyIntolerance?patient=1042&criticality=high",
    "Appointment?patient=1042&date=ge2024-11-25&date=le2024-12-31&status=booked,pending",
    "Appointment?practitioner=Practitioner/dr-17&_sort=date&_count=20",
    "Slot?schedule.actor=Practitioner/dr-17&start=ge2024-12-02T08:00:00-05:00&status=free",
    "Schedule?actor:Practitioner.name=O%27Neil&service-type=http://terminology.hl7.org/CodeSystem/service-type%7C124",
    "Practitioner?name=Smith-Jones&_include=PractitionerRole:practitioner",
    "PractitionerRole?specialty=http://nucc.org/provider-taxonomy%7C207RC0000X&location.address-city=Boston",
    "Encounter?patient=1042&date=ge2023-01-01&_sort=-date&_include=Encounter:location",
    "DiagnosticReport?patient=1042&category=http://terminology.hl7.org/CodeSystem/v2-0074%7CLAB&_include=DiagnosticReport:result",
    "DocumentReference?patient=1042&type=http://loinc.org%7C18842-5&_sort=-date",
    "Immunization?patient=1042&vaccine-code=http://hl7.org/fhir/sid/cvx%7C208&_sort=-date",
    "Procedure?patient=1042&code=http://www.ama-assn.org/go/cpt%7C45378",
    "Coverage?beneficiary=Patient/1042&status=active",
    "Organization?name:exact=St.%20Mary%27s%20Hospital&address-state=MA",
    "Location?near=42.3601%7C-71.0589%7C10%7Ckm&type=http://terminology.hl7.org/CodeSystem/v3-RoleCode%7CHOSP",
    "CarePlan?patient=1042&status=active&_include:iterate=CarePlan:goal",
    "Questionnaire?url=http://example-health.test/Questionnaire/phq-9&version=2.0",
    "ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender&filter=fe",
    "CodeSystem/$lookup?system=http://loinc.org&code=1963-8",
    "ConceptMap/$translate?system=http://snomed.info/sct&code=22298006&target=http://hl7.org/fhir/sid/icd-10-cm",
    "Patient/1042/$everything?_since=2024-01-01T00:00:00Z&_count=100",
    "Patient/$export?_type=Patient,Observation,Condition&_since=2024-10-01T00:00:00Z",
    "metadata?_format=json",
    "Observation?patient=1042&_sort=-date&_count=10&_elements=code,valueQuantity,effectiveDateTime&_total=accurate",
    "Observation?_lastUpdated=gt2024-11-20T10:00:00Z&_format=application/fhir%2Bjson",
    "Patient?name=Nguy%E1%BB%85n&gender=female",
    "Patient?family:exact=M%C3%BCller&birthdate=ge1950&birthdate=le1960",
    "Appointment?_id=%s,%s",
    "Observation?code:text=blood%20pressure&patient=1042",
    "Patient?_content=diabetes%20AND%20insulin",
    "Patient?_filter=name%20co%20%22peter%22%20and%20birthdate%20ge%201970-01-01",
    "Communication?subject=Patient/1042&sent=ge2024-11-01&_sort=-sent",
    "Observation?patient=1042&code=http://loinc.org%7C29463-7&value-quantity=le80%7C%7Ckg",
    "Bundle?composition.type=http://loinc.org%7C11503-0",
    "Patient?_has:Observation:patient:code=http://loinc.org%7C1234-5&_count=5",
    "Observation?patient=1042&date=sa2024-06-01&date=eb2024-09-30",
]
for i, q in enumerate(FHIR_SEARCHES):
    q = q.replace("%s", uuid())
    h = api_headers("fhir")
    if i % 5 == 0:
        h["Prefer"] = "handling=lenient"
    add("GET", "/fhir/r4/" + q, h, None, "FHIR search", "query")

# ---- B. FHIR writes ---------------------------------------------------------------------------
def narrative_table(title, rows_):
    cells = "".join("<tr><td>%s</td><td>%s</td></tr>" % (a, b) for a, b in rows_)
    return ('<div xmlns="http://www.w3.org/1999/xhtml"><p><b>%s</b></p><table class="grid"><thead><tr><th>Item</th>'
            "<th>Value</th></tr></thead><tbody>%s</tbody></table></div>" % (title, cells))


for i, (given, family) in enumerate(NAMES):
    email = "%s.%s+portal@example.com" % (given.split()[0].lower(), family.replace("'", "").replace(" ", "").lower())
    pid = uuid()
    pat = {"resourceType": "Patient", "id": pid, "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
           "text": {"status": "generated", "div": narrative_table("%s %s" % (given, family),
                    [("Name", "%s %s" % (given, family.replace("'", "&#39;"))), ("Address", ADDRESSES[i % len(ADDRESSES)].replace("&", "&amp;")), ("Phone", "(555) 201-%04d" % (7000 + i))])},
           "identifier": [{"system": "http://hospital.example-health.test/mrn", "value": "MRN%05d" % (1000 + i)}],
           "name": [{"use": "official", "family": family, "given": given.split()}],
           "telecom": [{"system": "email", "value": email}, {"system": "phone", "value": "+1-555-201-%04d" % (7000 + i), "use": "mobile"}],
           "gender": rng.choice(["female", "male", "other", "unknown"]), "birthDate": "19%02d-%02d-%02d" % (rng.randint(30, 99), rng.randint(1, 12), rng.randint(1, 28)),
           "address": [{"line": [ADDRESSES[i % len(ADDRESSES)]], "city": rng.choice(["Springfield", "Boston", "Coeur d'Alene", "Winston-Salem", "St. Louis"]),
                        "state": "MA", "postalCode": "0%04d" % rng.randint(1000, 9999)}]}
    method, uri = ("PUT", "/fhir/r4/Patient/" + pid) if i % 3 == 0 else ("POST", "/fhir/r4/Patient")
    add(method, uri, api_headers("fhir", "application/fhir+json"), fhir_dumps(pat), "FHIR Patient with narrative table, name with apostrophe/hyphen/diacritics", "fhir-json")

for i, note in enumerate(NOTES):
    code, disp = rng.choice([("8867-4", "Heart rate"), ("85354-9", "Blood pressure panel"), ("2345-7", "Glucose [Mass/volume] in Serum or Plasma"),
                             ("29463-7", "Body weight"), ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")])
    obs = {"resourceType": "Observation", "status": "final",
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
           "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": disp}, {"system": "urn:oid:2.16.840.1.113883.6.1", "code": code}]},
           "subject": {"reference": "Patient/1042"}, "effectiveDateTime": "2024-11-%02dT09:%02d:00-05:00" % (rng.randint(1, 22), rng.randint(0, 59)),
           "valueQuantity": {"value": round(rng.uniform(5, 150), 1), "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
           "note": [{"authorString": "Dr. O'Neil", "text": note}]}
    if i % 2:
        obs["text"] = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>%s</p></div>' % note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    add("POST", "/fhir/r4/Observation", api_headers("fhir", "application/fhir+json"), fhir_dumps(obs), "FHIR Observation with clinical note free text", "fhir-json")

SIG = ["Take 1 tablet (5 mg) by mouth twice daily; do not exceed 10 mg/day.", "Inhale 2 puffs q4-6h PRN wheeze/SOB; rinse mouth after use.",
       "Apply thin layer to affected area BID x 14 days; avoid eyes & mucous membranes.", "Give 15 mg/kg (max 1 g) PO every 6 hours as needed for fever > 38.5 C.",
       "Inject 10 units subcut at bedtime; adjust per sliding scale (see note).", "1 cap PO daily; take with food -- may cause nausea."]
for i, sig in enumerate(SIG):
    mr = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
          "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": str(rng.randint(100000, 999999))}], "text": sig.split(";")[0][:30]},
          "subject": {"reference": "Patient/1042", "display": "Siobhan O'Brien"}, "authoredOn": "2024-11-21",
          "dosageInstruction": [{"text": sig, "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}],
          "note": [{"text": "Pt prefers generic; pharmacy: CVS #1042 (Union St.)"}]}
    add("POST", "/fhir/r4/MedicationRequest", api_headers("fhir", "application/fhir+json"), fhir_dumps(mr), "FHIR MedicationRequest with dosage text", "fhir-json")

for i in range(6):
    ap = {"resourceType": "Appointment", "status": "booked", "serviceType": [{"coding": [{"system": "http://snomed.info/sct", "code": "394814009", "display": "General practice"}]}],
          "start": "2024-12-%02dT%02d:30:00-05:00" % (2 + i, 9 + i), "end": "2024-12-%02dT%02d:50:00-05:00" % (2 + i, 9 + i),
          "comment": MESSAGES[(i * 7) % len(MESSAGES)], "patientInstruction": "Arrive 15 min early; bring insurance card & ID. Parking: Lot B (Union St. entrance).",
          "participant": [{"actor": {"reference": "Patient/1042", "display": "Marco D'Angelo"}, "status": "accepted"},
                          {"actor": {"reference": "Practitioner/dr-17", "display": "Dr. Priya Smith-Jones"}, "status": "accepted"}]}
    add("POST" if i % 2 else "PUT", "/fhir/r4/Appointment" + ("" if i % 2 else "/" + uuid()), api_headers("fhir", "application/fhir+json"), fhir_dumps(ap), "FHIR Appointment with comment", "fhir-json")

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" + bytes(rng.randint(0, 255) for _ in range(300)) + b"\n%%EOF\n"
for i in range(6):
    dr = {"resourceType": "DocumentReference", "status": "current", "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5", "display": "Discharge summary"}]},
          "subject": {"reference": "Patient/1042"}, "date": "2024-11-1%dT14:03:00Z" % i, "description": "Discharge summary -- %s" % rng.choice(["St. Mary's Hospital", "Union Medical Center", "O'Connor Clinic"]),
          "content": [{"attachment": {"contentType": "application/pdf", "language": "en-US", "title": "discharge_summary_2024-11-1%d.pdf" % i,
                                      "data": base64.b64encode(PDF + bytes(rng.randint(0, 255) for _ in range(200 + i * 50))).decode(),
                                      "hash": base64.b64encode(bytes(rng.randint(0, 255) for _ in range(20))).decode()}}]}
    add("POST", "/fhir/r4/DocumentReference", api_headers("fhir", "application/fhir+json"), fhir_dumps(dr), "FHIR DocumentReference with base64 PDF attachment", "fhir-json")

for i in range(4):
    entries = []
    for j in range(3):
        entries.append({"fullUrl": "urn:uuid:" + uuid(), "resource": {"resourceType": "Observation", "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]},
                        "subject": {"reference": "Patient/1042"}, "valueQuantity": {"value": 118 + j * 7, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
                        "request": {"method": "POST", "url": "Observation", "ifNoneExist": "identifier=http://devices.example-health.test|bp-%d-%d" % (i, j)}})
    entries.append({"request": {"method": "DELETE", "url": "Observation?identifier=http://devices.example-health.test|bp-old-%d" % i}})
    b = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    add("POST", "/fhir/r4", api_headers("fhir", "application/fhir+json"), fhir_dumps(b), "FHIR transaction Bundle (home BP device upload, conditional create/delete)", "fhir-json")

for i in range(3):
    pr = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": {"resourceType": "Patient", "name": [{"family": NAMES[i][1], "given": [NAMES[i][0]]}], "birthDate": "1979-03-02"}},
                                                      {"name": "onlyCertainMatches", "valueBoolean": True}, {"name": "count", "valueInteger": 3}]}
    add("POST", "/fhir/r4/Patient/$match", api_headers("fhir", "application/fhir+json"), fhir_dumps(pr), "FHIR $match Parameters", "fhir-json")

patch = [{"op": "replace", "path": "/telecom/0/value", "value": "liam.oconnor-reyes+new@example.com"}, {"op": "add", "path": "/address/0/line/-", "value": "Apt #4B (use side door & ring twice)"}]
add("PATCH", "/fhir/r4/Patient/" + uuid(), api_headers("fhir", "application/json-patch+json"), json.dumps(patch), "FHIR JSON Patch", "json")

# ---- C. messages across carriers --------------------------------------------------------------
for i, msg in enumerate(MESSAGES):
    k = i % 5
    subj = rng.choice(["Question", "Re: your visit on 11/18", "Prescription", "Billing question", "Appointment", "Lab results", "Follow-up"])
    if k == 0:
        body = json.dumps({"message": {"threadId": 5000 + i, "subject": subj, "body": {"text": msg, "format": "plain"}, "to": {"role": "care-team", "id": "team-7"}}}, ensure_ascii=False)
        add("POST", "/api/v1/messages", api_headers("json", "application/json"), body, "portal message (JSON)", "json")
    elif k == 1:
        body = "subject=%s&recipient=team-7&body=%s&csrf_token=Zx81kQ2mP0aLr7tY" % (form_enc(subj), form_enc(msg))
        add("POST", "/portal/messages/new", web_headers("application/x-www-form-urlencoded", "/portal/messages/new"), body, "portal message (web form)", "form")
    elif k == 2:
        comm = {"resourceType": "Communication", "status": "completed", "subject": {"reference": "Patient/1042"}, "sent": "2024-11-2%dT08:15:00Z" % (i % 10),
                "recipient": [{"reference": "CareTeam/team-7"}], "payload": [{"contentString": msg}]}
        add("POST", "/fhir/r4/Communication", api_headers("fhir", "application/fhir+json"), fhir_dumps(comm), "FHIR Communication from patient", "fhir-json")
    elif k == 3:
        b = boundary()
        img = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + "".join(chr(rng.randint(0x20, 0x7e)) for _ in range(120))
        body = multipart([("subject", None, None, subj), ("body", None, None, msg), ("attachment", "IMG_%04d.png" % rng.randint(1000, 9999), "image/png", img)], b)
        add("POST", "/portal/messages/new", web_headers("multipart/form-data; boundary=" + b, "/portal/messages/new"), body, "portal message with photo (multipart)", "multipart")
    else:
        body = json.dumps({"appointmentId": "apt-%d" % (8000 + i), "note": msg, "visibility": "care-team"}, ensure_ascii=False)
        add("PATCH", "/booking/api/appointments/apt-%d/notes" % (8000 + i), api_headers("json", "application/json"), body, "appointment note (JSON)", "json")

# ---- D. forms ---------------------------------------------------------------------------------
LOGINS = ["anna.smith+health@example.com", "siobhan.obrien@example.org", "m.dangelo@example.net", "priya.smith-jones@example.com",
          "o'reilly.pat@example.com", "jdoe", "kwame_mensah-bonsu", "zoe+kids@example.com"]
PWS = ["Winter2024!", "p@ss w0rd & more", "correct horse battery staple", "S3lect*Union#9", "x'Y\"z<1>", "drop-the-bass-99", "Or=And;42", "100%sure"]
for i, (u, pw) in enumerate(zip(LOGINS, PWS)):
    body = "username=%s&password=%s&remember=on&csrf_token=%s" % (form_enc(u), form_enc(pw), "".join(rng.choice("abcdef0123456789") for _ in range(32)))
    add("POST", "/portal/login", web_headers("application/x-www-form-urlencoded", "/portal/login?next=%2Fportal%2Fdashboard"), body, "login form, password with symbols", "form")

for i, (given, family) in enumerate(NAMES[:18]):
    addr = ADDRESSES[i % len(ADDRESSES)]
    fields = [("first_name", given), ("last_name", family), ("dob", "%02d/%02d/19%02d" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(40, 99))),
              ("email", "%s+reg@example.com" % given.split()[0].lower()), ("phone", rng.choice(["(555) 201-7788", "+1 555 201 7789", "555.201.7790"])),
              ("address1", addr), ("city", rng.choice(["Coeur d'Alene", "Winston-Salem", "St. Louis", "Boston"])), ("zip", "0%04d" % rng.randint(1000, 9999)),
              ("insurance", rng.choice(["Blue Cross & Blue Shield", "Aetna (PPO)", "United Healthcare - Choice Plus", "Medicare Part B"])), ("terms", "on")]
    body = "&".join("%s=%s" % (k, form_enc(v)) for k, v in fields)
    add("POST", "/portal/register", web_headers("application/x-www-form-urlencoded", "/portal/register"), body, "registration form (name, address, insurance)", "form")

REASONS = ["Follow-up for BP meds (lisinopril -> losartan)", "Annual physical; also want to discuss sleep & stress", "Knee pain after fall; select X-ray if needed",
           "Flu shot + COVID booster", "Child's ear infection (L ear), fever 38.9", "Refill: metformin 500 mg BID", "Rash on arm -- possibly from cat?",
           "Pre-op clearance (colonoscopy 12/12)", "Mental health check-in; feeling down & tired", "Prenatal visit, 24 wks", "Wart removal (R hand, 2 spots)",
           "Discuss lab results: A1c 7.9%, LDL 162"]
for i, reason in enumerate(REASONS):
    fields = [("provider_id", str(rng.randint(10, 99))), ("slot", "2024-12-%02dT%02d:%s" % (rng.randint(2, 20), rng.randint(8, 16), rng.choice(["00", "20", "40"]))),
              ("visit_type", rng.choice(["in-person", "video", "phone"])), ("reason", reason), ("notes", rng.choice(MESSAGES)), ("sms_reminder", "yes")]
    if i % 2:
        body = "&".join("%s=%s" % (k, form_enc(v)) for k, v in fields)
        add("POST", "/portal/appointments/book", web_headers("application/x-www-form-urlencoded", "/portal/appointments/new"), body, "appointment booking form", "form")
    else:
        body = json.dumps(dict(fields), ensure_ascii=False)
        add("POST", "/booking/api/appointments", api_headers("json", "application/json"), body, "appointment booking (JSON)", "json")

for i, addr in enumerate(ADDRESSES):
    g, f = NAMES[(i * 3) % len(NAMES)]
    fields = [("preferred_name", g), ("address_line1", addr), ("address_line2", rng.choice(["", "c/o Mary-Kate O'Neil", "Apt 2 & 3", "Rear (blue door)"])),
              ("emergency_contact", "%s %s" % (g, f)), ("emergency_phone", "(555) 410-%04d" % rng.randint(1000, 9999)), ("pronouns", rng.choice(["she/her", "he/him", "they/them"])),
              ("language", rng.choice(["English", "Espa\u00f1ol", "Portugu\u00eas", "Ti\u1ebfng Vi\u1ec7t"]))]
    if i % 3 == 2:
        body = json.dumps({"profile": dict(fields)}, ensure_ascii=False)
        add("PUT", "/api/v1/profile", api_headers("json", "application/json"), body, "profile update with address (JSON)", "json")
    else:
        body = "&".join("%s=%s" % (k, form_enc(v)) for k, v in fields) + "&_method=PUT"
        add("POST", "/portal/profile", web_headers("application/x-www-form-urlencoded", "/portal/profile/edit"), body, "profile update with address", "form")

for i in range(8):
    fields = [("invoice", "INV-2024-%05d" % rng.randint(1, 99999)), ("amount", "%d.%02d" % (rng.randint(5, 900), rng.randint(0, 99))),
              ("card_token", "tok_" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(24))),
              ("memo", rng.choice(["Copay 11/18 visit (Dr. O'Brien)", "Balance after insurance -- 20% coinsurance", "Lab fee; select plan B", "Pay in full & close account"])),
              ("billing_zip", "0%04d" % rng.randint(1000, 9999))]
    body = "&".join("%s=%s" % (k, form_enc(v)) for k, v in fields)
    add("POST", "/portal/billing/pay", web_headers("application/x-www-form-urlencoded", "/portal/billing/invoices"), body, "bill payment form", "form")

FEEDBACK = ["5 stars -- Dr. D'Angelo explained everything (even the boring parts) :)", "Wait time was 45 min; otherwise great. Parking & check-in were easy.",
            "The 'select provider' drop-down doesn't show Dr. Smith-Jones on mobile.", "Would be nice to have an option to update & delete old messages.",
            "Survey Q3: 'How likely are you to recommend us?' -> 9/10", "Please add dark mode; the white screen hurts at night :-("]
for i, fb in enumerate(FEEDBACK):
    body = "rating=%d&comment=%s&contact_ok=%s" % (rng.randint(3, 5), form_enc(fb), rng.choice(["yes", "no"]))
    add("POST", "/portal/feedback", web_headers("application/x-www-form-urlencoded", "/portal/visits/summary"), body, "feedback form", "form")

# ---- E. uploads -------------------------------------------------------------------------------
FILES = [("Lab Results (Nov 2024).pdf", "application/pdf"), ("O'Brien_insurance_card_front.jpg", "image/jpeg"), ("scan 2024-11-03 #2.png", "image/png"),
         ("referral-letter_Smith-Jones.pdf", "application/pdf"), ("IMG_4471.HEIC", "image/heic"), ("vaccination record.pdf", "application/pdf"),
         ("bp_log_oct-nov.csv", "text/csv"), ("MRI report & images.zip", "application/zip"), ("Screenshot 2024-11-20 at 9.41.12 AM.png", "image/png"),
         ("d'angelo_consent_signed.pdf", "application/pdf"), ("rash_day3.jpeg", "image/jpeg"), ("EOB_Aetna_2024-10.pdf", "application/pdf"),
         ("school_form (1).pdf", "application/pdf"), ("Nguy\u1ec5n_passport.jpg", "image/jpeg"), ("glucose-readings.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         ("ECG_2024_11_21.pdf", "application/pdf"), ("knee x-ray.dcm", "application/dicom"), ("letter_to_dr_oneil.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
         ("photo.jpg", "image/jpeg"), ("advance_directive_final_v2.pdf", "application/pdf"), ("IMG_0042.PNG", "image/png"), ("medication list.txt", "text/plain"),
         ("discharge summary - St. Mary's.pdf", "application/pdf"), ("wound_photo_11-22.webp", "image/webp"), ("insurance_card_back.jpg", "image/jpeg")]


def fake_content(ctype):
    noise = "".join(chr(rng.choice([rng.randint(0x20, 0x7e), rng.randint(0xa0, 0xff)])) for _ in range(rng.randint(200, 500)))
    if ctype == "application/pdf":
        return "%PDF-1.5\n%\u00e2\u00e3\u00cf\u00d3\n4 0 obj\n<< /Length 312 /Filter /FlateDecode >>\nstream\n" + noise + "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 9 >>\n%%EOF"
    if ctype.startswith("image/jpeg"):
        return "\u00ff\u00d8\u00ff\u00e0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00\u00ff\u00db" + noise + "\u00ff\u00d9"
    if ctype.startswith("image/png"):
        return "\u0089PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80" + noise
    if ctype == "text/csv":
        return "date,time,systolic,diastolic,pulse,notes\r\n2024-10-01,07:30,132,84,71,\"after coffee; felt ok\"\r\n2024-10-02,07:45,128,82,68,\r\n2024-10-03,21:10,141,90,75,\"select readings were taken after exercise\"\r\n"
    if ctype == "text/plain":
        return "Metformin 500 mg - 1 tab twice daily (with meals)\nAtorvastatin 20 mg - at bedtime\nAspirin 81 mg - daily; stop 5 days before procedure\nCetirizine 10 mg - as needed (cat allergy)\n"
    return "PK\x03\x04\x14\x00\x06\x00" + noise
for i, (fname, ctype) in enumerate(FILES):
    b = boundary()
    parts = [("document_type", None, None, rng.choice(["insurance-card", "lab-report", "referral", "photo", "other"])),
             ("description", None, None, rng.choice(["Front & back of card", "Results from outside lab (Quest)", "as requested by Dr. O'Neil", "", "Photo of rash, day 3 -- it's spreading"])),
             ("file", fname, ctype, fake_content(ctype))]
    if i % 4 == 0:
        parts.insert(0, ("csrf_token", None, None, "Zx81kQ2mP0aLr7tY"))
    uri = rng.choice(["/portal/documents/upload", "/api/v1/attachments", "/booking/api/referrals/upload", "/portal/profile/avatar" if ctype.startswith("image/") else "/portal/documents/upload"])
    h = web_headers("multipart/form-data; boundary=" + b, "/portal/documents")
    add("POST", uri, h, multipart(parts, b), "file upload: %s" % ctype, "multipart")

# ---- F. portal GETs ---------------------------------------------------------------------------
for i, s in enumerate(SEARCHES):
    enc = form_enc(s) if i % 3 else urllib.parse.quote(s, safe="")
    uri = rng.choice(["/portal/search?q=%s", "/portal/search?q=%s&scope=all", "/api/v1/providers?search=%s&accepting=true", "/portal/help/search?query=%s"]) % enc
    h = web_headers(referer="/portal/dashboard")
    add("GET", uri, h, None, "search box (typos, everyday words)", "query")

GETS = [
    "/portal/appointments?view=calendar&month=2024-12&tz=America%2FNew_York",
    "/portal/messages?folder=inbox&sort=-date&page=2",
    "/portal/records/lab-results?from=2024-01-01&to=2024-11-30&order=desc",
    "/booking/api/slots?provider_id=17&date=2024-12-03&duration=20&visit_type=video",
    "/api/v1/providers?specialty=cardiology&language=es&gender=any&sort=distance&lat=42.36&lng=-71.06",
    "/portal/billing/invoices?status=open&order_by=due_date&dir=asc",
    "/portal/records/immunizations?format=pdf&download=1",
    "/portal/dashboard?welcome=1&utm_source=newsletter&utm_medium=email&utm_campaign=flu-season-2024",
    "/api/v1/appointments/%s/ics" % uuid(),
    "/portal/records/visits?year=2024&where=all-locations&select=summary",
    "/portal/settings/notifications?channel=sms&alert=lab-results",
    "/api/v1/pharmacies?zip=02134&radius=5&open_now=true&name=cvs%20%26%20walgreens",
    "/portal/education?topic=diabetes&q=insulin%20(type%202)&page=1",
    "/portal/forms/release-of-information?recipient=Dr.%20O%27Brien&scope=2019-2024",
    "/booking/api/locations?service=lab&having_parking=1&order=name",
    "/portal/records/lab-results/%s?print=true" % uuid(),
    "/portal/proxy/switch?patient=%s&return=%%2Fportal%%2Fdashboard" % uuid(),
    "/api/v1/messages?thread=5012&since=2024-11-20T10%3A00%3A00Z&limit=50",
    "/portal/appointments/confirm?token=%s&answer=yes" % base64.urlsafe_b64encode(bytes(rng.randint(0, 255) for _ in range(24))).decode().rstrip("="),
    "/portal/unsubscribe?email=anna.smith%2Bhealth%40example.com&list=reminders&sig=" + "".join(rng.choice("0123456789abcdef") for _ in range(64)),
    "/portal/verify-email?code=493021&email=zoe%2Bkids%40example.com",
    "/portal/records/documents?type=imaging&q=cat%20scan%20abdomen&sort=-date",
]
for g in GETS:
    add("GET", g, web_headers(referer="/portal/dashboard"), None, "portal navigation with parameters", "query")

OAUTH = [
    "/oauth/authorize?response_type=code&client_id=patient-portal-web&redirect_uri=https%3A%2F%2Fportal.example-health.test%2Foauth%2Fcallback&scope=openid%20fhirUser%20launch%2Fpatient%20patient%2F*.read&state=@A@&code_challenge=@B@&code_challenge_method=S256&aud=https%3A%2F%2Fportal.example-health.test%2Ffhir%2Fr4",
    "/oauth/callback?code=@A@&state=@B@",
    "/portal/login?next=%2Fportal%2Fmessages%3Ffolder%3Dinbox&reason=@A@&r=@B@",
    "/portal/logout?post_logout_redirect_uri=https%3A%2F%2Fportal.example-health.test%2Fportal%2Flogin%3Floggedout%3D1&id_token_hint=@A@&x=@B@",
    "/launch?iss=https%3A%2F%2Fportal.example-health.test%2Ffhir%2Fr4&launch=@A@&x=@B@",
    "/portal/sso?returnUrl=https%3A%2F%2Fportal.example-health.test%2Fbooking%2Fconfirm%3Fid%3D@A@&t=@B@",
]
for o in OAUTH:
    a = base64.urlsafe_b64encode(bytes(rng.randint(0, 255) for _ in range(32))).decode().rstrip("=")
    bb = base64.urlsafe_b64encode(bytes(rng.randint(0, 255) for _ in range(32))).decode().rstrip("=")
    add("GET", o.replace("@A@", a).replace("@B@", bb), web_headers(referer="/portal/login"), None, "OAuth / SMART launch with redirect URI to own domain", "query")

token_body = "grant_type=authorization_code&code=%s&redirect_uri=%s&client_id=patient-portal-web&code_verifier=%s" % (
    base64.urlsafe_b64encode(bytes(rng.randint(0, 255) for _ in range(32))).decode().rstrip("="), form_enc("https://portal.example-health.test/oauth/callback"),
    base64.urlsafe_b64encode(bytes(rng.randint(0, 255) for _ in range(48))).decode().rstrip("="))
add("POST", "/oauth/token", web_headers("application/x-www-form-urlencoded"), token_body, "OAuth token exchange with PKCE", "form")
add("POST", "/oauth/token", web_headers("application/x-www-form-urlencoded"), "grant_type=refresh_token&refresh_token=%s&client_id=patient-portal-web&scope=openid+fhirUser+offline_access+patient%%2F*.read" % fake_jwt(), "OAuth refresh with JWT refresh token", "form")

PATHS = ["/static/js/app.3f9a1c7e.js", "/static/css/main.8b2d.css", "/favicon.ico", "/static/fonts/inter-var.woff2", "/portal/dashboard",
         "/portal/records/documents/2024-11-03%20Discharge%20Summary.pdf", "/api/v1/providers/dr-o-brien-siobhan", "/api/v1/providers/smith-jones-priya/availability",
         "/fhir/r4/Patient/%s" % uuid(), "/fhir/r4/Observation/%s/_history/3" % uuid(), "/fhir/r4/Binary/%s" % uuid(), "/fhir/r4/metadata",
         "/portal/files/%s/download" % "".join(rng.choice("0123456789abcdef") for _ in range(64)), "/.well-known/smart-configuration", "/.well-known/openid-configuration",
         "/portal/help/articles/how-to-select-a-pharmacy", "/portal/help/articles/update-or-delete-your-insurance", "/portal/help/articles/union-health-plan-faq",
         "/static/img/providers/d%27angelo-marco.jpg", "/portal/locations/union-square-clinic", "/portal/education/sleep-apnea-(osa)", "/robots.txt",
         "/api/v1/appointments/apt-8842/cancel-reasons", "/static/i18n/es-US.json", "/portal/records/lab-results/cbc-w-diff;jsessionid=8A1F22C0D"]
for p in PATHS:
    hdr = api_headers("fhir") if p.startswith("/fhir") else web_headers(referer="/portal/dashboard")
    add("GET", p, hdr, None, "static asset / resource path", "path")

# DELETE / misc API
for i in range(6):
    add("DELETE", "/api/v1/messages/%d" % (5100 + i), api_headers("json"), None, "delete a message", "path")
for i in range(4):
    add("DELETE", "/fhir/r4/Appointment/%s" % uuid(), api_headers("fhir"), None, "FHIR delete", "path")

# ---- G. cookies and headers -------------------------------------------------------------------
COOKIES = [
    "_ga=GA1.2.1372840411.1731000000; _gid=GA1.2.99813311.1732300000; portal_sid=%s",
    "cookie_consent=%%7B%%22necessary%%22%%3Atrue%%2C%%22analytics%%22%%3Afalse%%2C%%22updated%%22%%3A%%222024-11-20%%22%%7D; portal_sid=%s",
    "lang=es-US; tz=America/New_York; portal_sid=%s",
    "last_search=cardiology%%20%%26%%20heart%%20failure; portal_sid=%s",
    "recent_providers=17%%2C23%%2C41; sort_pref=-date; portal_sid=%s",
    "portal_sid=%s; ajs_anonymous_id=%%22" + uuid() + "%%22",
    "portal_sid=%s; prefs=eyJ0aGVtZSI6ImRhcmsiLCJmb250U2l6ZSI6MTZ9; theme=dark",
    "portal_sid=%s; __Host-csrf=" + "".join(rng.choice("0123456789abcdef") for _ in range(40)),
    "portal_sid=%s; patient_ctx=" + uuid() + "; proxy_for=mother",
    "portal_sid=%s; name=Siobhan%%20O%%27Brien; remember_me=1",
    "portal_sid=%s; returning_user=true; banner_dismissed=flu-2024,holiday-hours",
    "portal_sid=%s; AWSALB=" + base64.b64encode(bytes(rng.randint(0, 255) for _ in range(90))).decode() + "; AWSALBCORS=x",
]
for c in COOKIES:
    h = base_headers("html")
    h["Cookie"] = c % "".join(rng.choice("0123456789abcdef") for _ in range(32))
    add("GET", rng.choice(["/portal/dashboard", "/portal/messages", "/portal/appointments", "/booking/"]), h, None, "ordinary cookies (analytics, consent JSON, prefs)", "cookie")

REFS = ["https://www.google.com/search?q=o%27brien+family+clinic+union+st&oq=obrien+clinic", "https://portal.example-health.test/portal/search?q=drop+off+lab+sample",
        "https://mail.example.com/mail/u/0/#inbox/FMfcgzQXJGhP", "https://www.bing.com/search?q=select+health+union+medical+center+hours&form=QBLH",
        "https://portal.example-health.test/oauth/callback?code=abc123&state=xyz", "https://duckduckgo.com/?q=sleep+apnea+cpap+%26+weight+loss&ia=web",
        "https://portal.example-health.test/portal/records/lab-results?from=2024-01-01&order=desc", "android-app://com.google.android.gm/"]
for r in REFS:
    h = web_headers()
    h["Referer"] = r
    add("GET", rng.choice(["/portal/dashboard", "/portal/login", "/", "/portal/appointments/new"]), h, None, "Referer from search engine / own pages", "referer")

for x in ["portal.example-health.test", "portal.example-health.test:443", "api.example-health.test"]:
    h = web_headers()
    h["X-Forwarded-Host"] = x
    h["X-Forwarded-Proto"] = "https"
    add("GET", "/portal/dashboard", h, None, "X-Forwarded-Host of own domain", "x-forwarded-host")

EXTRA_UAS = ["Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
             "ExampleHealth/4.12.0 (com.examplehealth.portal; build:4120; iOS 18.1.0) Alamofire/5.9.1",
             "okhttp/4.12.0", "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
             "Mozilla/5.0 (Linux; Android 13; SM-S918U) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
             "Epic/10.0 (FHIR client; +https://fhir.example-health.test/clients)"]
for ua in EXTRA_UAS:
    h = api_headers("fhir") if "FHIR" in ua or "okhttp" in ua else web_headers()
    h["User-Agent"] = ua
    add("GET", rng.choice(["/fhir/r4/Patient/1042", "/portal/dashboard", "/api/v1/appointments?upcoming=true"]), h, None, "app / device user agents", "user-agent")
