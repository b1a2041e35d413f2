"""POST /v1/messages and GET /v1/messages/{id} (issue 4): the happy path with
curl and http.client, every body / header error class (status and error
code), idempotent retries, a cross-user status read, UTF-8 at the 160 code
point limit, invalid UTF-8 as raw bytes, and the text never reaching the
log or the state directory in clear."""
import json
import os
import re
import subprocess

import columba_test as ct
import test_openapi as oa

P = "/v1/messages"
ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


class Submit(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(users=[("alice", "alice-pw"), ("bob", "bob-pw")],
                            tokens=["alice", "bob"])
        self.a = self.d.tokens["alice"]
        self.b = self.d.tokens["bob"]

    def refused(self, resp, status, code, method="post", path=P):
        """resp has status and error code, and matches docs/openapi.yaml."""
        self.assertEqual((resp.status, resp.error), (status, code), resp)
        oa.check_response(self, method, path, resp)

    def post_raw(self, body, token=None, conn=None, headers=None):
        return self.d.api("POST", P, token=token or self.a, body=body, conn=conn,
                          headers=headers)

    def status_of(self, mid, token=None):
        return self.d.api("GET", P + "/" + mid, token=token or self.a)

    # ---- the happy path ----

    def test_happy_path_http_client(self):
        d = self.d
        conn = d.https_connection()
        r = d.submit(self.a, "bob", "See you at 8", conn=conn, ttl=3600)
        self.assertEqual(r.status, 202, r)
        body = oa.check_response(self, "post", P, r)
        self.assertRegex(body["id"], ID_RE)
        self.assertEqual(body["status"], "enqueued")
        self.assertNotIn("duplicate", body)
        r2 = d.api("GET", P + "/" + body["id"], token=self.a, conn=conn)
        self.assertEqual(r2.status, 200, r2)
        st = oa.check_response(self, "get", P + "/{id}", r2)
        self.assertEqual((st["id"], st["status"], st["updated_at"]),
                         (body["id"], "enqueued", None))
        self.assertEqual(st["expires_at"], body["expires_at"])
        self.assertEqual(st["expires_at"] - st["created_at"], 3600)
        self.assertNotIn(b"See you", r2.body)
        # Default ttl: 72 h.
        r3 = d.submit(self.a, "bob", "default ttl", conn=conn)
        st3 = d.api("GET", P + "/" + r3.json()["id"], token=self.a, conn=conn).json()
        self.assertEqual(st3["expires_at"] - st3["created_at"], 259200)
        # application/json with a charset parameter is fine too.
        r4 = d.api("POST", P, token=self.a, body={"to": "bob", "text": "cs"}, conn=conn,
                   content_type="application/json; charset=utf-8")
        self.assertEqual(r4.status, 202, r4)
        conn.close()
        m = d.metrics()
        self.assertEqual(m["columba_messages_accepted_total"], 3)
        self.assertEqual(m['columba_store_ack_seconds_count'], 3)

    def test_happy_path_curl(self):
        d = self.d
        url = "https://localhost:%d%s" % (d.port, P)
        r = subprocess.run(["curl", "-sS", "--cacert", d.cert, "--max-time", "20",
                            *d.curl_resolve(),
                            "-H", "Authorization: Bearer " + self.a,
                            "-H", "Content-Type: application/json",
                            "-H", "Idempotency-Key: 7f1c2d",
                            "-d", '{"to":"bob","text":"See you at 8","ttl":3600}',
                            "-w", "\\n%{http_code}", url],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        body, code = r.stdout.rsplit("\n", 1)
        self.assertEqual(code, "202", r.stdout)
        mid = json.loads(body)["id"]
        self.assertRegex(mid, ID_RE)
        r = subprocess.run(["curl", "-sS", "--cacert", d.cert, "--max-time", "20",
                            *d.curl_resolve(),
                            "-H", "Authorization: Bearer " + self.a, "-w", "\\n%{http_code}",
                            url + "/" + mid], capture_output=True, text=True, timeout=30)
        body, code = r.stdout.rsplit("\n", 1)
        self.assertEqual(code, "200", r.stdout)
        self.assertEqual(json.loads(body)["status"], "enqueued")

    # ---- error classes ----

    def test_400_body(self):
        cases = [
            (b'{"to":"bob","text":"x"', "invalid_json"),
            (b'{"to":"bob","text":"x"} trailing', "invalid_json"),
            (b"", "invalid_json"),
            (b'{"to":"bob","text":"x","cc":"eve"}', "unknown_field"),
            (b'{"to":"bob","text":"x","text":"y"}', "duplicate_field"),
            (b'{"to":"bob","to":"bob","text":"x"}', "duplicate_field"),
            (b'{"text":"x"}', "missing_field"),
            (b'{"to":"bob"}', "missing_field"),
            (b'{"to":"bob","text":7}', "wrong_type"),
            (b'{"to":["bob"],"text":"x"}', "wrong_type"),
            (b'{"to":"bob","text":"x","ttl":"60"}', "wrong_type"),
            (b'{"to":"bob","text":"x","ttl":60.0}', "wrong_type"),
            (b'{"to":"bob","text":"x","ttl":6e1}', "wrong_type"),
            (b'{"to":"bob","text":"x","ttl":null}', "wrong_type"),
            (b'["bob","x"]', "wrong_type"),
            (b'"x"', "wrong_type"),
        ]
        conn = self.d.https_connection()
        for body, code in cases:
            with self.subTest(body=body):
                self.refused(self.post_raw(body, conn=conn), 400, code)
        for key in ("", "a b", "x" * 65, "caf\u00e9".encode().decode("latin-1"), "a\tb"):
            with self.subTest(key=key):
                r = self.post_raw({"to": "bob", "text": "x"}, conn=conn,
                                  headers={"Idempotency-Key": key})
                self.refused(r, 400, "bad_idempotency_key")
        # The limits themselves are fine: 64 printable characters.
        r = self.post_raw({"to": "bob", "text": "x"}, conn=conn,
                          headers={"Idempotency-Key": "~" + "k" * 62 + "!"})
        self.assertEqual(r.status, 202, r)
        conn.close()
        self.assertEqual(self.d.metrics()["columba_messages_accepted_total"], 1)

    def test_404_411_413_415(self):
        d = self.d
        self.refused(d.submit(self.a, "carol", "x"), 404, "unknown_recipient")
        # 411: a chunked body (in one write: the server answers after the head
        # and closes, which http.client, still sending chunks, takes badly).
        s = d.tls_stream()
        s.send(ct.request_bytes("POST", P, headers=[("Authorization", "Bearer " + self.a),
                                                    ("Content-Type", "application/json"),
                                                    ("Transfer-Encoding", "chunked")])
               + b'17\r\n{"to":"bob","text":"x"}\r\n0\r\n\r\n')
        resp = s.read_response()
        self.refused(resp, 411, "length_required")
        self.assertEqual(resp.header("Connection"), "close")
        self.assertTrue(s.closed_by_peer(timeout=5))
        s.close()
        # 411 with curl, too.
        out = subprocess.run(["curl", "-sS", "--cacert", d.cert, "--max-time", "20",
                              *d.curl_resolve(),
                              "-H", "Authorization: Bearer " + self.a,
                              "-H", "Content-Type: application/json",
                              "-H", "Transfer-Encoding: chunked",
                              "-d", '{"to":"bob","text":"x"}', "-w", "\n%{http_code}",
                              "https://localhost:%d%s" % (d.port, P)],
                             capture_output=True, text=True, timeout=30)
        body, code = out.stdout.rsplit("\n", 1)
        self.assertEqual((code, json.loads(body)["error"]), ("411", "length_required"))
        # 413: Content-Length over 16 KiB; the answer comes after the head (the
        # body is not sent: the server closes without reading it).
        for length in (16385, 17000, 10 ** 9):
            s = d.tls_stream()
            s.send(ct.request_bytes("POST", P, headers=[("Authorization", "Bearer " + self.a),
                                                        ("Content-Type", "application/json"),
                                                        ("Content-Length", str(length))]))
            resp = s.read_response()
            s.close()
            self.refused(resp, 413, "body_too_large")
        # 16384 bytes exactly is parsed (and here refused for its text, not its size).
        body = b'{"to":"bob","text":"' + b"x" * (16384 - 22) + b'"}'
        self.assertEqual(len(body), 16384)
        self.refused(self.post_raw(body), 422, "text_too_long")
        # 415: no or another Content-Type.
        for ct_value in (None, "text/plain", "application/jsonx", "application/x-www-form-urlencoded"):
            with self.subTest(content_type=ct_value):
                r = d.api("POST", P, token=self.a, body=b'{"to":"bob","text":"x"}',
                          content_type=ct_value)
                self.refused(r, 415, "unsupported_media_type")
        self.assertEqual(d.metrics()["columba_messages_accepted_total"], 0)

    def test_422_rules(self):
        ok_ttl = 259200
        cases = [
            ({"to": "Bob", "text": "x"}, "bad_recipient"),
            ({"to": "bob@example.org", "text": "x"}, "bad_recipient"),
            ({"to": "sips:bob@example.org", "text": "x"}, "bad_recipient"),
            ({"to": "", "text": "x"}, "bad_recipient"),
            ({"to": "b" * 65, "text": "x"}, "bad_recipient"),
            ({"to": "bo b", "text": "x"}, "bad_recipient"),
            ({"to": "bob", "text": ""}, "text_empty"),
            ({"to": "bob", "text": "x" * 161}, "text_too_long"),
            ({"to": "bob", "text": "a\u0000b"}, "text_control_char"),
            ({"to": "bob", "text": "a\tb"}, "text_control_char"),
            ({"to": "bob", "text": "a\rb"}, "text_control_char"),
            ({"to": "bob", "text": "a\x7fb"}, "text_control_char"),
            ({"to": "bob", "text": "a\x9bb"}, "text_control_char"),
            ({"to": "bob", "text": "a\x1bb"}, "text_control_char"),
            ({"to": "bob", "text": "x", "ttl": 0}, "ttl_out_of_range"),
            ({"to": "bob", "text": "x", "ttl": -1}, "ttl_out_of_range"),
            ({"to": "bob", "text": "x", "ttl": ok_ttl + 1}, "ttl_out_of_range"),
            ({"to": "bob", "text": "x", "ttl": 2 ** 63}, None),
        ]
        conn = self.d.https_connection()
        for body, code in cases:
            with self.subTest(body=body):
                r = self.post_raw(body, conn=conn)
                if code is None:  # out of every integer type: some refusal, never 202
                    self.assertIn(r.status, (400, 422), r)
                    oa.check_response(self, "post", P, r)
                    continue
                self.refused(r, 422, code)
        # The edges that are allowed: ttl 1 and 259200, LF, 64-byte name rule chars.
        for body in ({"to": "bob", "text": "x", "ttl": 1}, {"to": "bob", "text": "x", "ttl": ok_ttl},
                     {"to": "bob", "text": "line 1\nline 2"}, {"to": "bob", "text": "\u00a0nbsp"}):
            with self.subTest(body=body):
                self.assertEqual(self.post_raw(body, conn=conn).status, 202)
        conn.close()

    def test_utf8_limits(self):
        """160 code points of 2-, 3- and 4-byte UTF-8 accepted; 161 refused."""
        conn = self.d.https_connection()
        mixes = {
            "2-byte": "\u00e9" * 160,
            "3-byte": "\u20ac" * 160,
            "4-byte": "\U0001F600" * 160,
            "mixed": ("a\u00e9\u20ac\U0001F600" * 40),
            "mixed-lf": ("\u0416\n\u4e2d\U00010348" * 39) + "abcd",
        }
        for name, text in mixes.items():
            self.assertEqual(len(text), 160, name)
            with self.subTest(mix=name):
                # As raw UTF-8 in the JSON string...
                r = self.post_raw(json.dumps({"to": "bob", "text": text},
                                             ensure_ascii=False).encode(), conn=conn)
                self.assertEqual(r.status, 202, r)
                # ...and as \u escapes (surrogate pairs for the 4-byte ones).
                r = self.post_raw(json.dumps({"to": "bob", "text": text}).encode(), conn=conn)
                self.assertEqual(r.status, 202, r)
                for extra in ("x", "\u00e9", "\U0001F600"):
                    for ascii_only in (False, True):
                        r = self.post_raw(json.dumps({"to": "bob", "text": text + extra},
                                                     ensure_ascii=ascii_only).encode(), conn=conn)
                        self.refused(r, 422, "text_too_long")
                        self.assertIn("161", r.json()["detail"])
        conn.close()
        self.assertEqual(self.d.metrics()["columba_messages_accepted_total"], 2 * len(mixes))

    def test_invalid_utf8(self):
        """Invalid UTF-8 as raw bytes in the text: 422 text_invalid_utf8 (the rule
        of gateway/intake.h); anywhere else in the body: 400 invalid_json."""
        bad = {
            "overlong /": b"\xc0\xaf",
            "overlong NUL": b"\xc0\x80",
            "overlong 3-byte": b"\xe0\x80\xaf",
            "overlong 4-byte": b"\xf0\x80\x80\xaf",
            "surrogate D800": b"\xed\xa0\x80",
            "surrogate DFFF": b"\xed\xbf\xbf",
            "surrogate pair as CESU-8": b"\xed\xa0\xbd\xed\xb8\x80",
            "truncated 2-byte": b"\xc3",
            "truncated 3-byte": b"\xe2\x82",
            "truncated 4-byte": b"\xf0\x9f\x98",
            "lone continuation": b"\x80",
            "above U+10FFFF": b"\xf4\x90\x80\x80",
            "F5": b"\xf5\x80\x80\x80",
            "FF": b"\xff",
        }
        conn = self.d.https_connection()
        for name, seq in bad.items():
            for where in (b"", b"a", b"\xc3\xa9"):
                body = b'{"to":"bob","text":"' + where + seq + b'z"}'
                with self.subTest(case=name, prefix=where):
                    self.refused(self.post_raw(body, conn=conn), 422, "text_invalid_utf8")
            # Truncated at the very end of the string, too.
            body = b'{"to":"bob","text":"ok' + seq + b'"}'
            with self.subTest(case=name, at="end"):
                self.refused(self.post_raw(body, conn=conn), 422, "text_invalid_utf8")
            # In the recipient or a member name: the body is not JSON.
            for body in (b'{"to":"b' + seq + b'","text":"x"}',
                         b'{"to":"bob","text":"x","t' + seq + b'":1}'):
                with self.subTest(case=name, body=body):
                    self.refused(self.post_raw(body, conn=conn), 400, "invalid_json")
        # Lone surrogate escapes: not UTF-8 after decoding.
        for esc in (b"\\ud800", b"\\udfff", b"\\ud83d", b"\\ude00\\ud83d", b"\\ud83dx"):
            with self.subTest(escape=esc):
                body = b'{"to":"bob","text":"a' + esc + b'"}'
                self.refused(self.post_raw(body, conn=conn), 422, "text_invalid_utf8")
        # A proper pair is fine.
        r = self.post_raw(b'{"to":"bob","text":"\\ud83d\\ude00"}', conn=conn)
        self.assertEqual(r.status, 202, r)
        # NUL: escaped or raw, refused.
        self.refused(self.post_raw(b'{"to":"bob","text":"a\\u0000"}', conn=conn), 422,
                     "text_control_char")
        r = self.post_raw(b'{"to":"bob","text":"a\x00b"}', conn=conn)
        self.assertIn((r.status, r.error), ((422, "text_control_char"), (400, "invalid_json")), r)
        conn.close()
        self.assertEqual(self.d.metrics()["columba_messages_accepted_total"], 1)

    # ---- idempotency, privacy ----

    def test_idempotent_retry(self):
        d = self.d
        conn = d.https_connection()
        r1 = d.submit(self.a, "bob", "pay 10", conn=conn, idem="order-77")
        self.assertEqual(r1.status, 202, r1)
        first = r1.json()
        self.assertNotIn("duplicate", first)
        for _ in range(3):
            r = d.submit(self.a, "bob", "pay 10", conn=conn, idem="order-77")
            self.assertEqual(r.status, 202, r)
            body = oa.check_response(self, "post", P, r)
            self.assertEqual(body["id"], first["id"])
            self.assertIs(body["duplicate"], True)
            self.assertEqual(body["expires_at"], first["expires_at"])
        # Another body with the same key is still the first message (the key decides).
        r = d.submit(self.a, "bob", "pay 1000", conn=conn, idem="order-77")
        self.assertEqual((r.json()["id"], r.json()["duplicate"]), (first["id"], True))
        # The same key from another sender is another message.
        rb = d.submit(self.b, "alice", "pay 10", conn=conn, idem="order-77")
        self.assertEqual(rb.status, 202)
        self.assertNotEqual(rb.json()["id"], first["id"])
        self.assertNotIn("duplicate", rb.json())
        # Another key: another message.
        r2 = d.submit(self.a, "bob", "pay 10", conn=conn, idem="order-78")
        self.assertNotEqual(r2.json()["id"], first["id"])
        conn.close()
        m = d.metrics()
        # Seven 202s, four of them replays: three messages stored.
        self.assertEqual(m["columba_messages_accepted_total"], 7)
        self.assertEqual(m['columba_messages_accepted_total{duplicate="true"}'], 4)
        # And the replay survives a restart (the key is durable with the message).
        d.stop_ok(self)
        d.restart()
        r = d.submit(self.a, "bob", "pay 10", idem="order-77")
        self.assertEqual((r.status, r.json()["id"], r.json().get("duplicate")),
                         (202, first["id"], True))
        self.assertEqual(self.status_of(first["id"]).json()["status"], "enqueued")

    def test_cross_user_status_is_404(self):
        d = self.d
        mid = d.submit(self.a, "bob", "for bob only").json()["id"]
        self.assertEqual(self.status_of(mid).status, 200)
        # The recipient is not the sender: 404, identical to a missing id.
        r_bob = self.status_of(mid, token=self.b)
        self.refused(r_bob, 404, "not_found", "get", P + "/{id}")
        missing = mid[:-1] + ("0" if mid[-1] != "0" else "1")
        r_none = self.status_of(missing, token=self.b)
        self.refused(r_none, 404, "not_found", "get", P + "/{id}")
        self.assertEqual(r_bob.body, r_none.body)
        # Not an id at all: the same answer.
        for bad in ("x", "0" * 25, "0" * 27, "I" * 26, mid.lower() + "!"):
            r = d.api("GET", P + "/" + bad, token=self.a)
            self.assertEqual((r.status, r.body), (404, r_none.body), bad)

    def test_text_never_in_clear(self):
        """A distinctive text (and the passwords and tokens) never appear in
        the log or in any file under the state directory."""
        d = self.d
        secrets = ["Zebra-Quokka-7731 the vault code", "\u00c9t\u00e9 \u20ac\U0001F510 cl\u00e9 9931"]
        conn = d.https_connection()
        ids = []
        for text in secrets:
            r = d.submit(self.a, "bob", text, conn=conn, idem="secret-%d" % len(ids))
            self.assertEqual(r.status, 202, r)
            ids.append(r.json()["id"])
        # Refused ones too (the detail must not quote them).
        r = d.submit(self.a, "bob", secrets[0] + "\t")
        self.refused(r, 422, "text_control_char")
        self.assertNotIn(b"Zebra", r.body)
        r = self.post_raw(b'{"to":"bob","text":"Zebra-Quokka-7731 \xc3"}')
        self.refused(r, 422, "text_invalid_utf8")
        self.assertNotIn(b"Zebra", r.body)
        r = self.post_raw(b'{"to":"bob","text":"Zebra-Quokka-7731 unterminated')
        self.refused(r, 400, "invalid_json")
        self.assertNotIn(b"Zebra", r.body)
        tok = d.login("alice", "alice-pw").json()["token"]
        conn.close()
        d.stop_ok(self)
        needles = [s.encode() for s in secrets] + [b"Zebra-Quokka", b"vault code",
                                                   b"alice-pw", b"bob-pw"]
        needles += [t.encode() for t in (self.a, self.b, tok)]
        # The text as UTF-16 (as some libraries would keep it) as well.
        needles += [s.encode("utf-16-le") for s in secrets]
        with open(d.log_path, "rb") as fh:
            log = fh.read()
        for n in needles:
            self.assertNotIn(n, log)
        nfiles = 0
        for root, _, files in os.walk(d.state):
            for f in files:
                path = os.path.join(root, f)
                with open(path, "rb") as fh:
                    data = fh.read()
                nfiles += 1
                for n in needles:
                    self.assertNotIn(n, data, "%r found in %s" % (n[:20], path))
        self.assertGreaterEqual(nfiles, 4)  # master key, certificate, key, data.mdb, WAL ...
        # The messages are nevertheless there (sealed): readable after a restart.
        d.restart()
        for mid in ids:
            self.assertEqual(self.status_of(mid).json()["status"], "enqueued")


if __name__ == "__main__":
    ct.main()
