"""Regression: a handler that answers synchronously through its store
operation (POST /v1/tokens when all of the worker's 64 password-check slots
are taken: 503 and gw_op_finish() inside the handler) must not re-enter the
request loop. Before the fix, a login that had gone through the request
buffer (split across two TLS records) was parsed and dispatched again from
inside its own handler, without end (stack overflow); the fix makes every
request get exactly one answer and the connection stay usable."""
import base64
import re

import columba_test as ct

OK_BODY = b'{"status":"ok"}\n'
N_FLOOD = 80        # more than the 64 password checks a worker runs at once
ROUNDS = 3          # attempts at landing the split login while the slots are full


def login_bytes(user, password):
    cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return ct.request_bytes("POST", "/v1/tokens",
                            headers=[("Authorization", "Basic " + cred),
                                     ("Content-Length", "0")])


class Reentry(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(sets=["intake.login_burst=100000",
                                  "intake.login_failures_per_min=100000",
                                  "http.max_connections_per_address=1000"],
                            users=[("alice", "alice-pw"), ("bob", "bob-pw")])

    def one_answer_then_usable(self, s, what):
        """s has one request outstanding: read its answer, then prove that no
        second answer follows (the next one is that of a fresh GET /healthz)."""
        r = s.read_response(timeout=30.0)
        self.assertIn(r.status, (201, 401, 503), "%s: %r" % (what, r))
        if r.header("connection") == "close":
            self.assertTrue(s.closed_by_peer(), what)
            return r
        s.send(ct.request_bytes())
        h = s.read_response(timeout=30.0)
        self.assertEqual((h.status, h.body), (200, OK_BODY),
                         "%s: a second answer to one request: %r" % (what, h))
        self.assertEqual(s.buf, b"", what)
        return r

    def flood_round(self, rnd):
        """N_FLOOD wrong-password logins in flight and, behind them, a correct
        login split across two TLS records with GET /healthz pipelined after
        it. Returns (status counts of the flood, the split login's status)."""
        d = self.d
        flood = [d.tls_stream() for _ in range(N_FLOOD)]
        split = d.tls_stream()
        req = login_bytes("bob", "bob-pw")
        # The first record leaves the request incomplete: the rest is
        # assembled in the connection's request buffer.
        split.send(req[:20])
        for i, s in enumerate(flood):
            s.send(login_bytes("alice", "wrong-%d-%d" % (rnd, i)))
        split.send(req[20:] + ct.request_bytes(headers=[("X-Seq", "after-login")]))
        try:
            r = split.read_response(timeout=30.0)
            self.assertIn(r.status, (201, 401, 503), "split login: %r" % r)
            self.assertNotEqual(r.header("connection"), "close", r)
            h = split.read_response(timeout=30.0)
        except (EOFError, OSError) as e:
            self.fail("the split login's connection ended (answers repeated until the "
                      "send queue overflowed, or a crash): %r" % e)
        self.assertEqual((h.status, h.body), (200, OK_BODY),
                         "the pipelined GET /healthz after the split login: %r" % h)
        # Exactly those two answers: the connection serves the next request
        # and nothing else arrives before its answer.
        self.assertEqual(split.buf, b"")
        split.send(ct.request_bytes())
        h = split.read_response(timeout=30.0)
        self.assertEqual((h.status, h.body), (200, OK_BODY), h)
        self.assertEqual(split.buf, b"")
        split.close()
        counts = {}
        for i, s in enumerate(flood):
            fr = self.one_answer_then_usable(s, "flood login %d" % i)
            counts[fr.status] = counts.get(fr.status, 0) + 1
            s.close()
        return counts, r.status

    def test_sync_failure_answers_once(self):
        d = self.d
        split_503 = False
        flood_503 = 0
        for rnd in range(ROUNDS):
            counts, split_status = self.flood_round(rnd)
            self.assertEqual(sum(counts.values()), N_FLOOD)
            self.assertNotIn(201, counts, counts)
            flood_503 += counts.get(503, 0)
            if split_status == 503:
                split_503 = True
                break
        # The point of the test: the split login met the synchronous 503 at
        # least once (all slots taken), and the flood overflowed the slots.
        self.assertTrue(split_503, "the split login never met a full set of password-check "
                        "slots in %d rounds" % ROUNDS)
        self.assertGreaterEqual(flood_503, N_FLOOD - 64)
        # Still alive and sound.
        st, _ = d.admin_get("/healthz")
        self.assertEqual(st, 200)
        s = d.tls_stream()
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().body, OK_BODY)
        s.close()
        self.assertEqual(d.login("bob", "bob-pw").status, 201)
        self.assertIsNone(re.search(r"\bBUG\b", d.log()), d.log())
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
