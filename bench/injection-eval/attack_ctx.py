"""Place an attack payload into a realistic request of the portal / booking / FHIR app."""
from common import *

CTX = {
    # category: (query/form param names, GET paths, POST form paths, JSON API paths, FHIR paths)
    "sqli": (["id", "patient_id", "q", "sort", "order", "provider_id", "clinic", "mrn", "last_name", "email", "username", "insurance_id"],
             ["/portal/patients/search", "/booking/api/slots", "/portal/records/lab-results", "/api/v1/providers", "/portal/billing/invoices", "/portal/messages"],
             ["/portal/login", "/portal/register", "/portal/appointments/book", "/portal/billing/pay", "/portal/profile"],
             ["/api/v1/appointments/search", "/api/v1/patients/lookup", "/booking/api/availability", "/api/v1/messages"],
             ["/fhir/r4/Patient", "/fhir/r4/Observation", "/fhir/r4/Appointment", "/fhir/r4/Patient/_search"]),
    "xss": (["q", "name", "message", "subject", "error", "title", "note", "display_name", "returnTo", "search"],
            ["/portal/search", "/portal/login", "/portal/messages/view", "/booking/confirm", "/portal/help"],
            ["/portal/messages/new", "/portal/profile", "/portal/feedback", "/booking/appointments/notes"],
            ["/api/v1/messages", "/api/v1/profile", "/api/v1/feedback", "/api/v1/appointments/notes"],
            ["/fhir/r4/Patient", "/fhir/r4/Communication", "/fhir/r4/Observation", "/fhir/r4/DocumentReference"]),
    "lfi": (["file", "doc", "path", "template", "page", "lang", "attachment", "report", "download", "view"],
            ["/portal/documents/download", "/portal/records/view", "/portal/help", "/api/v1/reports/render", "/portal/static"],
            ["/portal/documents/preview", "/portal/reports/export", "/portal/settings/theme"],
            ["/api/v1/documents/fetch", "/api/v1/reports/generate", "/api/v1/templates/render"],
            ["/fhir/r4/DocumentReference", "/fhir/r4/Binary", "/fhir/r4/Media"]),
    "rfi": (["page", "include", "template", "lang", "module", "theme", "layout", "src", "skin"],
            ["/portal/index.php", "/portal/help.php", "/booking/index.php", "/portal/page", "/legacy/main.php"],
            ["/portal/settings/theme", "/legacy/admin/modules.php", "/portal/page"],
            ["/api/v1/templates/render", "/api/v1/settings/layout"],
            ["/fhir/r4/Questionnaire", "/fhir/r4/DocumentReference"]),
    "rce": (["host", "filename", "format", "ip", "target", "name", "printer", "dicom_host", "fax", "cmd"],
            ["/admin/tools/ping", "/api/v1/reports/export", "/portal/imaging/convert", "/admin/diagnostics", "/api/v1/fax/status"],
            ["/admin/tools/ping", "/admin/tools/traceroute", "/portal/reports/export", "/admin/printers/test", "/api/v1/fax/send"],
            ["/api/v1/imaging/convert", "/api/v1/reports/export", "/admin/api/dicom/echo", "/api/v1/fax/send"],
            ["/fhir/r4/DocumentReference", "/fhir/r4/ImagingStudy", "/fhir/r4/Binary"]),
    "php": (["page", "file", "code", "data", "cb", "action", "input", "filter", "callback", "template"],
            ["/legacy/index.php", "/portal/index.php", "/legacy/view.php", "/booking/calendar.php", "/legacy/admin/export.php"],
            ["/legacy/contact.php", "/legacy/admin/settings.php", "/portal/index.php", "/booking/calendar.php"],
            ["/api/v1/forms/submit", "/legacy/api.php", "/api/v1/preferences"],
            ["/fhir/r4/QuestionnaireResponse", "/fhir/r4/Patient"]),
    "generic": (["url", "callback", "webhook", "redirect", "name", "template", "filter", "q", "username", "image_url"],
                ["/api/v1/preview", "/portal/avatar/fetch", "/api/v1/integrations/test", "/portal/search", "/api/v1/providers"],
                ["/portal/login", "/portal/profile/avatar", "/portal/integrations/webhook", "/portal/feedback"],
                ["/api/v1/auth/login", "/api/v1/integrations/webhooks", "/api/v1/templates/preview", "/api/v1/patients/query"],
                ["/fhir/r4/Subscription", "/fhir/r4/$import", "/fhir/r4/Patient", "/fhir/r4/DocumentReference"]),
    "protocol": (["next", "returnUrl", "lang", "redirect", "callback", "redirect_uri", "locale", "continue"],
                 ["/portal/login", "/portal/logout", "/portal/lang", "/oauth/authorize", "/portal/redirect"],
                 ["/portal/login", "/portal/contact", "/portal/settings/locale"],
                 ["/api/v1/notifications/email", "/api/v1/settings"],
                 ["/fhir/r4/Communication", "/fhir/r4/Subscription"]),
}

EXTRA_Q = ["page=1", "limit=20", "lang=en", "status=active", "from=2024-11-01", "view=list", "tab=upcoming", "_=1732396800123"]


def pick(seq):
    return rng.choice(seq)


def json_obj(cat, param):
    opts = [
        lambda: {"query": {"filters": {param: MARK, "status": "booked"}, "page": 1, "pageSize": 25}},
        lambda: {"patient": {"id": "pt-%05d" % rng.randint(10000, 99999), "profile": {param: MARK}}},
        lambda: {"message": {"threadId": rng.randint(1000, 9999), "subject": "Question about my visit", "body": {"text": MARK}}, "attachments": []},
        lambda: {"appointment": {"slotId": "slot-2024-12-0%d-0930" % rng.randint(1, 9), "reason": {"code": "follow-up", "detail": MARK}}},
        lambda: {"data": [{"type": "report", "attributes": {param: MARK, "locale": "en-US"}}]},
    ]
    return pick(opts)()


def fhir_obj(cat, p, desc):
    if isinstance(p, str) and ("header" in desc.lower() or "subscription" in desc.lower()):
        field = "header" if "header" in desc.lower() else "endpoint"
        ch = {"type": "rest-hook", "endpoint": "https://hooks.example-health.test/fhir", "payload": "application/fhir+json", "header": ["X-Client: portal"]}
        ch[field] = [MARK] if field == "header" else MARK
        return {"resourceType": "Subscription", "status": "requested", "reason": "Lab result notifications",
                "criteria": "Observation?code=http://loinc.org|2345-7", "channel": ch}
    if isinstance(p, str) and ("://" in p or p.startswith("//") or "attachment" in desc.lower()):
        return {"resourceType": "DocumentReference", "status": "current", "subject": {"reference": "Patient/%d" % rng.randint(100, 9999)},
                "content": [{"attachment": {"contentType": "application/pdf", "url": MARK, "title": "Referral letter"}}]}
    opts = [
        lambda: {"resourceType": "Patient", "name": [{"use": "official", "family": MARK, "given": ["Maria"]}], "gender": "female", "birthDate": "1981-04-12"},
        lambda: {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                 "subject": {"reference": "Patient/%d" % rng.randint(100, 9999)}, "note": [{"text": MARK}]},
        lambda: {"resourceType": "Appointment", "status": "proposed", "comment": MARK,
                 "participant": [{"actor": {"reference": "Practitioner/dr-%d" % rng.randint(10, 99)}, "status": "needs-action"}]},
        lambda: {"resourceType": "Communication", "status": "completed", "payload": [{"contentString": MARK}],
                 "subject": {"reference": "Patient/%d" % rng.randint(100, 9999)}},
        lambda: {"resourceType": "DocumentReference", "status": "current",
                 "content": [{"attachment": {"contentType": "application/pdf", "url": MARK, "title": "Discharge summary"}}]},
        lambda: {"resourceType": "Parameters", "parameter": [{"name": "identifier", "valueString": MARK}, {"name": "onlyCertainMatches", "valueBoolean": True}]},
    ]
    return pick(opts)()


def place(cat, carrier, p, desc, rid):
    """Return a row dict with payload p placed in the given carrier."""
    params, gets, posts, apis, fhirs = CTX[cat]
    raw = carrier.endswith("!")
    c = carrier.rstrip("!")
    param = pick(params)
    h = base_headers("html")
    method, uri, body = "GET", None, None
    extra = pick(EXTRA_Q)
    name = {"q": "query", "qs": "query", "p": "path", "f": "form", "j": "json", "ju": "json", "h": "fhir-json", "hu": "fhir-json",
            "m": "multipart", "mf": "multipart-filename", "mc": "multipart-file", "c": "cookie", "ua": "user-agent", "ref": "referer",
            "xfh": "x-forwarded-host"}[c]
    if c in ("q", "qs"):
        enc = p if raw else (form_enc(p) if c == "q" else url_enc(p))
        uri = "%s?%s=%s&%s" % (pick(gets), param, enc, extra) if rng.random() < 0.6 else "%s?%s&%s=%s" % (pick(gets), extra, param, enc)
    elif c == "p":
        enc = p if raw else path_enc(p)
        base = pick({"sqli": ["/api/v1/patients/%s/records", "/portal/appointments/%s", "/booking/api/providers/%s/slots", "/fhir/r4/Patient/%s"],
                     "xss": ["/portal/profile/%s", "/portal/search/%s", "/booking/confirm/%s"],
                     "lfi": ["/portal/documents/%s", "/static/%s", "/portal/assets/%s", "/api/v1/files/%s"],
                     "rfi": ["/portal/page/%s", "/legacy/include/%s"],
                     "rce": ["/api/v1/reports/export/%s", "/portal/imaging/%s/thumbnail", "/admin/tools/ping/%s"],
                     "php": ["/legacy/index.php/%s", "/portal/%s"],
                     "generic": ["/api/v1/preview/%s", "/portal/search/%s", "/api/v1/templates/%s"],
                     "protocol": ["/portal/redirect/%s", "/portal/lang/%s", "/%s"]}[cat])
        uri = base % enc
    elif c == "f":
        method = "POST"
        uri = pick(posts)
        enc = p if raw else form_enc(p)
        others = pick(["csrf_token=Zx81kQ2mP0aLr7tY", "remember=on", "clinic_id=14", "submit=Save", "lang=en"])
        if raw:
            body = p  # payload is the whole body as the attacker's tool sent it
        else:
            body = "%s=%s&%s" % (param, enc, others) if rng.random() < 0.5 else "%s&%s=%s" % (others, param, enc)
        h["Content-Type"] = "application/x-www-form-urlencoded"
        h["Origin"] = "https://" + HOST
        h["Cookie"] = session_cookie()
    elif c in ("j", "ju"):
        method = pick(["POST", "POST", "PUT", "PATCH"])
        uri = pick(apis)
        h = base_headers("json")
        h["Content-Type"] = "application/json"
        h["Authorization"] = "Bearer " + fake_jwt()
        body = dump_json(json_obj(cat, param), p, uescape=(c == "ju"))
    elif c in ("h", "hu"):
        obj = fhir_obj(cat, p, desc)
        method = "POST"
        uri = "/fhir/r4/" + obj["resourceType"] if obj["resourceType"] != "Parameters" else "/fhir/r4/Patient/$match"
        h = base_headers("fhir")
        h["Content-Type"] = "application/fhir+json"
        h["Authorization"] = "Bearer " + fake_jwt()
        body = dump_json(obj, p, uescape=(c == "hu"))
    elif c in ("m", "mf", "mc"):
        method = "POST"
        uri = pick(["/portal/documents/upload", "/portal/profile/avatar", "/api/v1/attachments", "/portal/messages/attach", "/booking/api/referrals/upload"])
        b = boundary()
        h["Content-Type"] = "multipart/form-data; boundary=" + b
        h["Origin"] = "https://" + HOST
        h["Cookie"] = session_cookie()
        pdf = "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF"
        if c == "m":
            parts = [("category", None, None, "lab-report"), (param, None, None, p),
                     ("file", "lab_results_nov.pdf", "application/pdf", pdf)]
        elif c == "mf":
            parts = [("category", None, None, "insurance-card"), ("file", p, "application/octet-stream", pdf)]
        else:
            fname, ctype, content = p if isinstance(p, tuple) else ("upload.txt", "text/plain", p)
            parts = [("description", None, None, "scan from clinic"), ("file", fname, ctype, content)]
        body = multipart(parts, b)
    elif c == "c":
        enc = p if raw else cookie_enc(p)
        h["Cookie"] = "%s; %s=%s" % (session_cookie(), pick(["patient_ctx", "pref_clinic", "lang", "last_search", "tz", "sort_pref", "theme"]), enc) \
            if rng.random() < 0.6 else "%s=%s; %s" % (pick(["patient_ctx", "pref_clinic", "lang", "last_search", "tz"]), enc, session_cookie())
    elif c == "ua":
        h["User-Agent"] = p
    elif c == "ref":
        enc = p if raw else form_enc(p)
        h["Referer"] = "https://%s%s?%s=%s" % (HOST, pick(gets), param, enc)
    elif c == "xfh":
        h["X-Forwarded-Host"] = p
    if uri is None:
        uri = pick(gets) + "?" + extra
    return row(rid, cat, method, uri, h, body, "attack", desc, name)


def fake_jwt():
    import base64, json as _j
    def b64(o):
        return base64.urlsafe_b64encode(_j.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    head = b64({"alg": "RS256", "kid": "k%d" % rng.randint(1, 9), "typ": "JWT"})
    pay = b64({"sub": "pt-%05d" % rng.randint(10000, 99999), "scope": "patient/*.read launch/patient openid fhirUser",
               "iss": "https://auth.example-health.test", "exp": 1764000000 + rng.randint(0, 99999)})
    sig = base64.urlsafe_b64encode(bytes(rng.randint(0, 255) for _ in range(256))).decode().rstrip("=")
    return "%s.%s.%s" % (head, pay, sig)
