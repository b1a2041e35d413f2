"""Regression: login attempts are charged to the per-user and per-address
limits when they are admitted, not when their password check fails. Before
the fix, every attempt that arrived while the first checks were still
running passed the limit (it was only peeked at), so 40 concurrent guesses
were all checked despite a burst of 5."""
import base64
import time

import columba_test as ct

N = 40
BURST = 5               # the default intake.login_burst
PER_MIN = 600           # a token every 0.1 s: the wait after the refusals is short
# Attempts reach the worker within milliseconds; allow a few refilled tokens
# for a slow (sanitizer) build, far below the N - BURST a missing limit lets by.
REFILL_SLACK = 5


def login_bytes(user, password):
    cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return ct.request_bytes("POST", "/v1/tokens",
                            headers=[("Authorization", "Basic " + cred),
                                     ("Content-Length", "0")])


class LoginLimit(ct.DaemonTestCase):
    def test_concurrent_guesses_are_limited(self):
        d = self.start(sets=["intake.login_failures_per_min=%d" % PER_MIN],
                       users=[("alice", "alice-pw")])
        # All connections set up first (TLS handshakes done), then the
        # guesses sent back to back: all in flight at once.
        conns = [d.tls_stream(timeout=30.0) for _ in range(N)]
        for i, s in enumerate(conns):
            s.send(login_bytes("alice", "guess-%d" % i))
        counts = {}
        retry_after = []
        for i, s in enumerate(conns):
            r = s.read_response(timeout=30.0)
            counts[r.status] = counts.get(r.status, 0) + 1
            if r.status == 429:
                self.assertEqual(r.error, "too_many_attempts", r)
                ra = r.header("Retry-After")
                self.assertIsNotNone(ra, r)
                self.assertRegex(ra, r"^[0-9]+$", r)
                retry_after.append(int(ra))
            else:
                self.assertEqual(r.status, 401, "guess %d: %r" % (i, r))
            s.close()
        self.assertEqual(sum(counts.values()), N, counts)
        self.assertGreaterEqual(counts.get(401, 0), 1, counts)
        self.assertLessEqual(counts.get(401, 0), BURST + REFILL_SLACK,
                             "password checks despite the limit: %r" % counts)
        self.assertGreaterEqual(counts.get(429, 0), N - BURST - REFILL_SLACK, counts)
        m = d.metrics()
        self.assertEqual(m['columba_messages_rejected_total{reason="login_failed"}'],
                         counts.get(401, 0))
        # The right password, once the limit says so, is accepted.
        wait = max(retry_after)
        self.assertGreaterEqual(wait, 1)
        time.sleep(wait)
        r = d.login("alice", "alice-pw")
        self.assertEqual(r.status, 201, r)
        # A correct login is not charged: another one right away works too.
        self.assertEqual(d.login("alice", "alice-pw").status, 201)
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
