"""Tokens and limits (issue 4): 401 for a missing, malformed, unknown,
revoked or orphaned token (with WWW-Authenticate), POST /v1/tokens (good
password, wrong password and unknown user give the same answer, the
per-user and per-address failure limits), DELETE /v1/tokens/current, and
the per-sender submit rate (429 with Retry-After)."""
import base64
import subprocess

import columba_test as ct
import test_openapi as oa

P = "/v1/messages"
BEARER_CHALLENGE = 'Bearer realm="columba"'


class Tokens(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(sets=["intake.login_failures_per_min=1", "intake.login_burst=3"],
                            users=[("alice", "alice-pw"), ("bob", "bob-pw"),
                                   ("carol", "carol-pw")],
                            tokens=["alice", "bob"])
        self.a = self.d.tokens["alice"]

    def unauthorized(self, resp, method, path, challenge=BEARER_CHALLENGE):
        self.assertEqual((resp.status, resp.error), (401, "unauthorized"), resp)
        self.assertEqual(resp.header("WWW-Authenticate")[:len(challenge)], challenge, resp)
        oa.check_response(self, method, path, resp)

    def test_401_bearer(self):
        d = self.d
        mid = d.submit(self.a, "bob", "x").json()["id"]
        # A token of the right shape that was never issued; the canonical-last-
        # character rule makes "...A" well-formed.
        unknown = "A" * 43
        bad_values = [
            None,                                    # no Authorization
            "Bearer",                                # no credentials
            "Bearer ",                               # empty credentials
            "Bearer  " + self.a,                     # two spaces
            "Bearer " + self.a + " x",               # trailing junk
            "Bearer " + self.a[:-1],                 # 42 characters
            "Bearer " + self.a + "A",                # 44 characters
            "Bearer " + self.a[:-1] + "!",           # not base64url
            "Bearer " + self.a[:-1] + "B",           # last character not canonical
            "Basic " + base64.b64encode(b"alice:alice-pw").decode(),  # other scheme
            "Token " + self.a,                       # unknown scheme
            "Bearer " + unknown,                     # unknown
            "Bearer " + self.a.swapcase(),           # unknown (case matters)
        ]
        conn = d.https_connection()
        for v in bad_values:
            hdrs = {"Authorization": v} if v is not None else {}
            with self.subTest(authorization=v):
                r = d.api("POST", P, body={"to": "bob", "text": "x"}, headers=hdrs, conn=conn)
                self.unauthorized(r, "post", P)
                r = d.api("GET", P + "/" + mid, headers=hdrs, conn=conn)
                self.unauthorized(r, "get", P + "/{id}")
                r = d.api("DELETE", "/v1/tokens/current", headers=hdrs, conn=conn)
                self.unauthorized(r, "delete", "/v1/tokens/current")
        conn.close()
        # The token's syntax is checked before the body: a bad body with a
        # malformed token is 401. (A well-formed unknown token is only looked
        # up in the store once the body passed: that case answers 400.)
        r = d.api("POST", P, body=b"{", headers={"Authorization": "Bearer x"})
        self.unauthorized(r, "post", P)
        m = d.metrics()
        self.assertGreaterEqual(m['columba_messages_rejected_total{reason="unauthorized"}'],
                                3 * len(bad_values))
        self.assertEqual(m["columba_messages_accepted_total"], 1)

    def test_login_and_revoke(self):
        d = self.d
        r = d.login("carol", "carol-pw")
        self.assertEqual(r.status, 201, r)
        body = oa.check_response(self, "post", "/v1/tokens", r)
        tok = body["token"]
        self.assertRegex(tok, r"^[A-Za-z0-9_-]{43}$")
        # The token works: submit and read the status.
        r = d.submit(tok, "alice", "from a fresh token")
        self.assertEqual(r.status, 202, r)
        mid = r.json()["id"]
        self.assertEqual(d.api("GET", P + "/" + mid, token=tok).status, 200)
        # A second login gives another token; both work.
        tok2 = d.login("carol", "carol-pw").json()["token"]
        self.assertNotEqual(tok, tok2)
        # DELETE /v1/tokens/current: 204, then the token is dead everywhere.
        r = d.api("DELETE", "/v1/tokens/current", token=tok)
        self.assertEqual(r.status, 204, r)
        oa.check_response(self, "delete", "/v1/tokens/current", r)
        self.unauthorized(d.submit(tok, "alice", "x"), "post", P)
        self.unauthorized(d.api("GET", P + "/" + mid, token=tok), "get", P + "/{id}")
        # Revoking it again: it is no longer valid, so 401 (docs/api.md).
        self.unauthorized(d.api("DELETE", "/v1/tokens/current", token=tok),
                          "delete", "/v1/tokens/current")
        # The other token of the same user is unaffected.
        self.assertEqual(d.api("GET", P + "/" + mid, token=tok2).status, 200)
        self.assertEqual(d.metrics()["columba_tokens_issued_total"], 2)
        # Revocation is durable.
        d.stop_ok(self)
        d.restart()
        self.unauthorized(d.api("GET", P + "/" + mid, token=tok), "get", P + "/{id}")
        self.assertEqual(d.api("GET", P + "/" + mid, token=tok2).status, 200)

    def test_204_has_no_content_length(self):
        """RFC 9110 §8.6: a server MUST NOT send Content-Length in a 204."""
        tok = self.d.login("carol", "carol-pw").json()["token"]
        s = self.d.tls_stream()
        s.send(ct.request_bytes("DELETE", "/v1/tokens/current",
                                headers=[("Authorization", "Bearer " + tok)]))
        r = s.read_response()
        s.close()
        self.assertEqual(r.status, 204)
        self.assertIsNone(r.header("Content-Length"), r)

    def test_login_failures(self):
        d = self.d
        basic = 'Basic realm="columba"'
        # Wrong password and unknown user: the same answer, byte for byte
        # (apart from the Date header).
        wrong = d.login("alice", "nope", source=d.client_ip(2))
        unknown = d.login("mallory", "nope", source=d.client_ip(3))
        for r in (wrong, unknown):
            self.unauthorized(r, "post", "/v1/tokens", basic)
        self.assertEqual(wrong.body, unknown.body)
        self.assertEqual([h for h in wrong.headers if h[0] != "Date"],
                         [h for h in unknown.headers if h[0] != "Date"])
        # No or malformed credentials.
        for v in (None, "Basic", "Basic !!!!", "Basic " + base64.b64encode(b"nocolon").decode(),
                  "Bearer " + self.a):
            hdrs = {"Authorization": v} if v is not None else {}
            r = d.api("POST", "/v1/tokens", headers=hdrs, source=d.client_ip(4))
            self.unauthorized(r, "post", "/v1/tokens", basic)
        # Per user: alice has had one failure (from .2); two more from other
        # addresses use up her burst of 3, and then even the right password
        # from a fresh address gets 429, before any password check.
        self.assertEqual(d.login("alice", "nope", source=d.client_ip(5)).status, 401)
        self.assertEqual(d.login("alice", "nope", source=d.client_ip(6)).status, 401)
        r = d.login("alice", "alice-pw", source=d.client_ip(7))
        self.assertEqual((r.status, r.error), (429, "too_many_attempts"), r)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        oa.check_response(self, "post", "/v1/tokens", r)
        # Other users are not affected (from a clean address).
        self.assertEqual(d.login("bob", "bob-pw", source=d.client_ip(7)).status, 201)
        # Per address: three failures on three users from .8, then bob's good
        # password from .8 is refused too; from .9 it works.
        for user in ("u1", "u2", "u3"):
            self.assertEqual(d.login(user, "nope", source=d.client_ip(8)).status, 401)
        r = d.login("bob", "bob-pw", source=d.client_ip(8))
        self.assertEqual((r.status, r.error), (429, "too_many_attempts"), r)
        self.assertIsNotNone(r.header("Retry-After"))
        self.assertEqual(d.login("bob", "bob-pw", source=d.client_ip(9)).status, 201)
        m = d.metrics()
        self.assertEqual(m['columba_messages_rejected_total{reason="login_rate_limited"}'], 2)
        self.assertEqual(m['columba_messages_rejected_total{reason="login_failed"}'], 7)
        # curl -u, as in docs/api.md.
        out = subprocess.run(["curl", "-sS", "--cacert", d.cert, "--max-time", "20",
                              *d.curl_resolve(),
                              "-u", "carol:carol-pw", "-X", "POST", "-w", "\n%{http_code}",
                              "https://localhost:%d/v1/tokens" % d.port],
                             capture_output=True, text=True, timeout=30)
        self.assertTrue(out.stdout.endswith("\n201"), out.stdout + out.stderr)

    def test_deleted_user_token(self):
        """`columbad user del` makes the user's tokens fail with 401."""
        d = self.d
        tb = d.tokens["bob"]
        self.assertEqual(d.submit(tb, "alice", "x").status, 202)
        d.stop_ok(self)
        d.admin(["user", "del", "bob"])
        d.restart()
        self.unauthorized(d.submit(tb, "alice", "x"), "post", P)
        self.unauthorized(d.api("DELETE", "/v1/tokens/current", token=tb),
                          "delete", "/v1/tokens/current")
        # And bob is no longer a recipient.
        r = d.submit(self.a, "bob", "x")
        self.assertEqual((r.status, r.error), (404, "unknown_recipient"))


class SubmitRate(ct.DaemonTestCase):
    def test_429(self):
        d = self.start(sets=["intake.submit_rate_per_min=1", "intake.submit_burst=2"],
                       users=[("alice", "a"), ("bob", "b")], tokens=["alice", "bob"])
        a, b = d.tokens["alice"], d.tokens["bob"]
        conn = d.https_connection()
        # Refused bodies do not use the bucket.
        for _ in range(3):
            self.assertEqual(d.submit(a, "bob", "").status, 422)
        ids = [d.submit(a, "bob", "m%d" % i, conn=conn).json()["id"] for i in range(2)]
        r = d.submit(a, "bob", "m2", conn=conn)
        self.assertEqual((r.status, r.error), (429, "rate_limited"), r)
        ra = int(r.header("Retry-After"))
        self.assertTrue(1 <= ra <= 60, ra)  # one token per minute
        oa.check_response(self, "post", P, r)
        # Idempotent replays are submits too (they cost a token).
        r = d.submit(a, "bob", "m0", conn=conn, idem="k")
        self.assertEqual(r.status, 429)
        # Another sender has its own bucket.
        self.assertEqual(d.submit(b, "alice", "hi", conn=conn).status, 202)
        # Status reads are not limited.
        for mid in ids:
            self.assertEqual(d.api("GET", P + "/" + mid, token=a, conn=conn).status, 200)
        conn.close()
        m = d.metrics()
        self.assertEqual(m["columba_messages_accepted_total"], 3)
        self.assertEqual(m['columba_messages_rejected_total{reason="rate_limited"}'], 2)
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
