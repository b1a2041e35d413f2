"""docs/openapi.yaml against real answers of columbad (a structural check).

docs/openapi.yaml is written in the JSON subset of YAML 1.2, so the standard
library's json reads it. For every status provoked here the test checks:
the status is documented for that path and method; the body is JSON that
matches the response schema (the JSON Schema subset below); an error code
is in that response's enum; documented required headers are present and
match their schema (Retry-After on 429/503, WWW-Authenticate on 401). It
also checks the document against the tables of docs/api.md: every status
and error code listed there is in the document, for the right operation.

The validator (validate / check_response) is imported by test_intake_*.py.
"""
import json
import os
import re

import columba_test as ct

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
API_MD = os.path.join(ROOT, "docs", "api.md")

_DOC = None


def load_doc():
    global _DOC
    if _DOC is None:
        with open(DOC_PATH, encoding="utf-8") as f:
            _DOC = json.load(f)
    return _DOC


def resolve(doc, node):
    """Follow local $refs ("#/components/...")."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise AssertionError("non-local $ref %r" % ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
        seen += 1
        if seen > 20:
            raise AssertionError("$ref loop at %r" % ref)
    return node


SUPPORTED = {"type", "required", "properties", "enum", "additionalProperties", "nullable",
             "pattern", "minLength", "maxLength", "minimum", "maximum", "description",
             "default", "$ref"}


def _type_ok(t, v):
    if t == "object":
        return isinstance(v, dict)
    if t == "string":
        return isinstance(v, str)
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "array":
        return isinstance(v, list)
    raise AssertionError("schema type %r not supported by this validator" % t)


def validate(doc, schema, value, where="$"):
    """Errors (a list of strings, empty if none) of value against schema, for
    the subset: type, nullable, required, properties, additionalProperties
    false, enum, pattern, minLength/maxLength (code points), minimum/maximum."""
    schema = resolve(doc, schema)
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise AssertionError("schema keywords %s not supported by this validator" % unknown)
    if value is None and schema.get("nullable"):
        return []
    errs = []
    t = schema.get("type")
    if t and not _type_ok(t, value):
        return ["%s: %r is not of type %s" % (where, value, t)]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not in enum %r" % (where, value, schema["enum"]))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append("%s: %r does not match %r" % (where, value, schema["pattern"]))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append("%s: shorter than %d" % (where, schema["minLength"]))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append("%s: longer than %d" % (where, schema["maxLength"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: %r below %r" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: %r above %r" % (where, value, schema["maximum"]))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errs.append("%s: required member %r missing" % (where, name))
        for name, v in value.items():
            if name in props:
                errs += validate(doc, props[name], v, "%s.%s" % (where, name))
            elif schema.get("additionalProperties", True) is False:
                errs.append("%s: member %r not allowed" % (where, name))
    return errs


def operation(doc, method, path):
    return doc["paths"][path][method.lower()]


def check_response(tc, method, path, resp, doc=None):
    """Assert that resp (an ApiResponse or columba_test.Response) is documented
    for method + path (a template such as /v1/messages/{id}) and matches it."""
    doc = doc or load_doc()
    op = operation(doc, method, path)
    status = str(resp.status)
    tc.assertIn(status, op["responses"], "%s %s: status %s not documented (%r)"
                % (method, path, status, resp))
    r = resolve(doc, op["responses"][status])
    for name, h in r.get("headers", {}).items():
        h = resolve(doc, h)
        v = resp.header(name)
        if h.get("required"):
            tc.assertIsNotNone(v, "%s %s %s: header %s missing (%r)" % (method, path, status,
                                                                       name, resp))
        if v is not None:
            sch = resolve(doc, h["schema"])
            val = int(v) if sch.get("type") == "integer" and re.fullmatch(r"[0-9]+", v) else v
            errs = validate(doc, sch, val, name)
            tc.assertEqual(errs, [], "%s %s %s: header %s=%r" % (method, path, status, name, v))
    content = r.get("content")
    if content:
        tc.assertEqual(resp.header("Content-Type"), "application/json")
        body = json.loads(resp.body.decode("utf-8"))
        errs = validate(doc, content["application/json"]["schema"], body)
        tc.assertEqual(errs, [], "%s %s %s: body %r" % (method, path, status, body))
        return body
    tc.assertEqual(resp.body, b"", "%s %s %s: the document has no body" % (method, path, status))
    return None


def error_codes(doc, method, path, status):
    """The error enum of a documented error response."""
    r = resolve(doc, operation(doc, method, path)["responses"][str(status)])
    sch = resolve(doc, r["content"]["application/json"]["schema"])
    return set(sch["properties"]["error"]["enum"])


OPS = [("post", "/v1/tokens"), ("delete", "/v1/tokens/current"), ("post", "/v1/messages"),
       ("get", "/v1/messages/{id}"), ("get", "/healthz")]


class Document(ct.DaemonTestCase):
    """The document itself, and against docs/api.md (no daemon)."""

    def test_structure(self):
        doc = load_doc()
        self.assertTrue(doc["openapi"].startswith("3.0."))
        self.assertEqual(sorted((m, p) for p in doc["paths"] for m in doc["paths"][p]),
                         sorted(OPS))
        schemes = doc["components"]["securitySchemes"]
        self.assertEqual(schemes["bearerAuth"], {"type": "http", "scheme": "bearer",
                                                 "description": schemes["bearerAuth"]["description"]})
        self.assertEqual(schemes["basicAuth"]["scheme"], "basic")
        all_codes = set(doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"])
        for m, p in OPS:
            op = operation(doc, m, p)
            for st, r in op["responses"].items():
                r = resolve(doc, r)
                self.assertIn("description", r)
                if st.startswith(("4", "5")):
                    # Every error answer: the error object, its codes within Error's enum.
                    codes = error_codes(doc, m, p, st)
                    self.assertTrue(codes and codes <= all_codes, (m, p, st, codes - all_codes))
                if st in ("429", "503"):
                    self.assertTrue(resolve(doc, r["headers"]["Retry-After"])["required"])
                if st == "401":
                    self.assertTrue(resolve(doc, r["headers"]["WWW-Authenticate"])["required"])
        sub = operation(doc, "post", "/v1/messages")
        self.assertEqual([p["name"] for p in sub["parameters"]], ["Idempotency-Key"])
        self.assertEqual(operation(doc, "post", "/v1/tokens")["security"], [{"basicAuth": []}])
        # Every example in the document matches its schema.
        for m, p in OPS:
            for st, r in operation(doc, m, p)["responses"].items():
                mt = resolve(doc, r).get("content", {}).get("application/json", {})
                if "example" in mt:
                    self.assertEqual(validate(doc, mt["schema"], mt["example"]), [], (m, p, st))
        rb = sub["requestBody"]["content"]["application/json"]
        self.assertEqual(validate(doc, rb["schema"], rb["example"]), [])

    def test_request_schema(self):
        doc = load_doc()
        sch = {"$ref": "#/components/schemas/SubmitRequest"}
        self.assertEqual(validate(doc, sch, {"to": "bob", "text": "\U0001F600" * 160}), [])
        for bad in ({"to": "bob"}, {"to": "Bob", "text": "x"}, {"to": "bob", "text": ""},
                    {"to": "bob", "text": "é" * 161}, {"to": "bob", "text": "x", "ttl": 0},
                    {"to": "bob", "text": "x", "ttl": 259201}, {"to": "bob", "text": "x", "ttl": "5"},
                    {"to": "bob", "text": "x", "cc": "eve"}, [], "x"):
            self.assertNotEqual(validate(doc, sch, bad), [], bad)

    def test_matches_api_md(self):
        """Each table row of docs/api.md (status | codes) is in the document."""
        doc = load_doc()
        with open(API_MD, encoding="utf-8") as f:
            text = f.read()
        sections = re.split(r"^## ", text, flags=re.M)
        rows_seen = 0
        for sec in sections:
            title = sec.splitlines()[0] if sec else ""
            m = re.match(r"(POST|GET|DELETE) (/\S+)", title)
            if m:
                ops = [(m.group(1).lower(), m.group(2))]
            elif title.startswith("Protocol errors"):
                ops = OPS
            else:
                continue
            for row in re.findall(r"^\| (\d{3}) \| (.*?) \|", sec, flags=re.M):
                st, codes = row[0], re.findall(r"`([a-z_0-9]+)`", row[1])
                rows_seen += 1
                for mm, pp in ops:
                    if st in ("404", "405") and ops is OPS:
                        continue  # unknown path / other method: not an operation's answer
                    self.assertIn(st, operation(doc, mm, pp)["responses"], (mm, pp, st))
                    got = error_codes(doc, mm, pp, st)
                    for c in codes:
                        self.assertIn(c, got, "%s %s %s: %s" % (mm, pp, st, c))
        self.assertGreater(rows_seen, 25)
        # The prose-only answers.
        self.assertIn("unauthorized", error_codes(doc, "delete", "/v1/tokens/current", 401))
        self.assertIn("not_found", error_codes(doc, "get", "/v1/messages/{id}", 404))
        self.assertIn("204", operation(doc, "delete", "/v1/tokens/current")["responses"])


class Responses(ct.DaemonTestCase):
    """Real answers, checked against the document."""

    @classmethod
    def setUpClass(cls):
        cls.doc = load_doc()

    def setUp(self):
        self.d = self.start(sets=["intake.submit_rate_per_min=1", "intake.submit_burst=5",
                                  "intake.login_failures_per_min=1", "intake.login_burst=2",
                                  "http.max_request_line=256", "http.max_headers=8"],
                            users=[("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")],
                            tokens=["alice", "bob", "carol"])

    def check(self, method, path, resp, status, code=None):
        self.assertEqual(resp.status, status, resp)
        body = check_response(self, method, path, resp, self.doc)
        if code is not None:
            self.assertEqual(body["error"], code, resp)
        return body

    def raw(self, data, method="post", path="/v1/messages"):
        """Send raw bytes on a new TLS connection; the one response."""
        s = self.d.tls_stream()
        try:
            s.send(data)
            return s.read_response(head_only=(method == "head"))
        finally:
            s.close()

    def test_messages(self):
        d, a, b = self.d, self.d.tokens["alice"], self.d.tokens["bob"]
        P, G = "/v1/messages", "/v1/messages/{id}"
        r = d.submit(a, "bob", "openapi check")
        body = self.check("post", P, r, 202)
        self.assertNotIn("duplicate", body)
        mid = body["id"]
        r = d.submit(a, "bob", "openapi again", idem="k-1")
        first = self.check("post", P, r, 202)
        r = d.submit(a, "bob", "openapi again", idem="k-1")
        self.assertIs(self.check("post", P, r, 202)["duplicate"], True)
        self.assertEqual(r.json()["id"], first["id"])
        st = self.check("get", G, d.api("GET", "/v1/messages/" + mid, token=a), 200)
        self.assertEqual((st["status"], st["updated_at"]), ("enqueued", None))
        self.check("get", G, d.api("GET", "/v1/messages/" + mid, token=b), 404, "not_found")
        self.check("get", G, d.api("GET", "/v1/messages/" + "0" * 26, token=a), 404, "not_found")
        self.check("get", G, d.api("GET", "/v1/messages/" + mid), 401, "unauthorized")
        self.check("get", G, d.api("GET", "/v1/messages/" + mid, token="x" * 43), 401,
                   "unauthorized")
        self.check("post", P, d.submit(None, "bob", "x"), 401, "unauthorized")
        self.check("post", P, d.submit(a, "nobody", "x"), 404, "unknown_recipient")
        for body, code in ((b'{"to":"bob"', "invalid_json"), (b'{"to":"bob","text":"x","a":1}', "unknown_field"),
                           (b'{"to":"bob","to":"bob","text":"x"}', "duplicate_field"),
                           (b'{"to":"bob"}', "missing_field"), (b'{"to":"bob","text":5}', "wrong_type")):
            self.check("post", P, d.api("POST", P, token=a, body=body), 400, code)
        r = d.api("POST", P, token=a, body={"to": "bob", "text": "x"},
                  headers={"Idempotency-Key": "a b"})
        self.check("post", P, r, 400, "bad_idempotency_key")
        for body, code in (({"to": "Bob", "text": "x"}, "bad_recipient"),
                           ({"to": "bob", "text": ""}, "text_empty"),
                           ({"to": "bob", "text": "x" * 161}, "text_too_long"),
                           ({"to": "bob", "text": "a\tb"}, "text_control_char"),
                           ({"to": "bob", "text": "x", "ttl": 259201}, "ttl_out_of_range")):
            self.check("post", P, d.api("POST", P, token=a, body=body), 422, code)
        r = d.api("POST", P, token=a, body=b'{"to":"bob","text":"a\xc3"}')
        self.check("post", P, r, 422, "text_invalid_utf8")
        r = d.api("POST", P, token=a, body={"to": "bob", "text": "x"}, content_type="text/plain")
        self.check("post", P, r, 415, "unsupported_media_type")
        # 429: carol's burst of 5 is her own (alice's submits use alice's bucket).
        c = d.tokens["carol"]
        codes = [d.submit(c, "bob", "burst %d" % i).status for i in range(6)]
        self.assertEqual(codes, [202] * 5 + [429])
        self.check("post", P, d.submit(c, "bob", "one more"), 429, "rate_limited")

    def test_tokens_and_health(self):
        d = self.d
        r = d.login("alice", "alice-pw")
        tok = self.check("post", "/v1/tokens", r, 201)["token"]
        self.check("post", "/v1/tokens", d.login("alice", "nope", source=d.client_ip(3)), 401,
                   "unauthorized")
        self.check("post", "/v1/tokens", d.login("nobody", "nope", source=d.client_ip(3)), 401,
                   "unauthorized")
        r = d.api("POST", "/v1/tokens")  # no Authorization at all
        self.check("post", "/v1/tokens", r, 401, "unauthorized")
        self.check("post", "/v1/tokens", d.login("alice", "nope", source=d.client_ip(3)), 429,
                   "too_many_attempts")
        r = d.api("DELETE", "/v1/tokens/current", token=tok)
        self.check("delete", "/v1/tokens/current", r, 204)
        r = d.api("DELETE", "/v1/tokens/current", token=tok)
        self.check("delete", "/v1/tokens/current", r, 401, "unauthorized")
        self.check("delete", "/v1/tokens/current", d.api("DELETE", "/v1/tokens/current"), 401,
                   "unauthorized")
        self.check("get", "/healthz", d.api("GET", "/healthz"), 200)

    def test_protocol_errors(self):
        """The HTTP layer's answers on the API paths (raw requests over TLS)."""
        P = "/v1/messages"
        a = self.d.tokens["alice"]
        auth = ("Authorization", "Bearer " + a)
        cases = [
            (b"POST /v1/messages HTTP/1.1\nHost: x\n\n", 400, "bare_lf"),
            (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"0\r\n\r\n", 411, "length_required"),
            (ct.request_bytes("POST", P, headers=[auth, ("Content-Length", "99999")]), 413,
             "body_too_large"),
            (b"POST /v1/messages?" + b"a" * 300 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
             "line_too_long"),
            (ct.request_bytes("POST", P, headers=[auth, ("Expect", "magic")]), 417,
             "expectation_failed"),
            (ct.request_bytes("POST", P, headers=[("X-%d" % i, "y") for i in range(12)]), 431,
             None),
            (ct.request_bytes("POST", P, headers=[("Transfer-Encoding", "gzip")]), 501,
             "te_unsupported"),
            (b"POST /v1/messages HTTP/2.0\r\nHost: x\r\n\r\n", 505, "version_unsupported"),
        ]
        for data, status, code in cases:
            r = self.raw(data)
            self.check("post", P, r, status, code)
        # A request without a body on the GET path: also documented there.
        r = self.raw(b"GET /v1/messages/x HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n")
        self.check("get", "/v1/messages/{id}", r, 417, "expectation_failed")


if __name__ == "__main__":
    ct.main()
