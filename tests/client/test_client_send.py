"""The client's send rules against a real columbad (issue 6): statuses end to
end (Sending -> Enqueued -> Delivered), 5 tries then queued, each trigger
flushing the outbox (next send, listen (re)connect, keepalive tick), 12 h
-> Send error (shrunk), and retries that never duplicate a message."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_test as h  # noqa: E402

ct = h.ct
USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"))
ID_RE = r"[0-9A-Z]{26}"


class ClientSend(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(users=USERS)
        self.alice = h.Client(self, "alice")
        self.bob = h.Client(self, "bob")
        self.alice.login(self.d)
        self.bob.login(self.d, pin=True)

    def sent_id(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.fullmatch(r"Enqueued (%s)\n" % ID_RE, r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return m.group(1)

    def queued_key(self, r):
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("server unreachable", r.stderr)
        self.assertIn("stays in the outbox (Sending)", r.stderr)
        m = re.fullmatch(r"Sending ([0-9a-f]{32})\n", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return m.group(1)

    def status(self, client, ident):
        r = client.run(["status", ident])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()[1]

    def accepted(self, duplicates=False):
        """Messages the server enqueued (202 answers to a repeated
        Idempotency-Key are counted apart: they enqueue nothing)."""
        m = self.d.metrics()
        dup = m.get('columba_messages_accepted_total{duplicate="true"}', 0)
        return dup if duplicates else m.get("columba_messages_accepted_total", 0) - dup

    def test_statuses_end_to_end(self):
        lb = self.bob.listen()
        la = self.alice.listen()
        mid = self.sent_id(self.alice.send("bob", "hello bob, ünïcode"))
        lb.wait(r"^\d{4}-\d\d-\d\d \d\d:\d\d  alice: hello bob, ünïcode$")
        la.wait(r"^Delivered: message %s to bob$" % mid)
        self.assertEqual(self.status(self.alice, mid), "Delivered")
        r = self.alice.run(["history", "bob"])
        self.assertRegex(r.stdout, r"\[Delivered\]")
        r = self.bob.run(["history", "alice"])
        self.assertIn("alice: hello bob, ünïcode", r.stdout)
        # the server answers the status query too (without a notification)
        mid2 = self.sent_id(self.alice.send("bob", "second"))
        lb.wait("second")
        la.wait(r"^Delivered: message %s" % mid2)
        # and the text is never in the daemon's log nor in the client's log lines
        self.assertNotIn("hello bob", self.d.log())
        err = la.stop() + lb.stop()
        self.assertNotIn("hello bob", err)
        self.assertEqual(self.accepted(), 2)

    def test_enqueued_before_delivery(self):
        # bob is offline: Enqueued; the status query says so; then delivered
        mid = self.sent_id(self.alice.send("bob", "are you there"))
        self.assertEqual(self.status(self.alice, mid), "Enqueued")
        r = self.alice.run(["history"])
        self.assertRegex(r.stdout, r"\[Enqueued\]\n +to bob: are you there\n")
        lb = self.bob.listen()
        lb.wait("alice: are you there")
        deadline = time.monotonic() + 10
        while self.status(self.alice, mid) != "Delivered":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def test_five_tries_then_queued(self):
        self.d.stop()
        r = self.alice.send("bob", "while the server is down")
        key = self.queued_key(r)
        tries = re.findall(r"event=send_try_failed key=%s try=(\d)" % key, r.stderr)
        self.assertEqual(tries, ["1", "2", "3", "4", "5"], r.stderr)
        out = self.alice.run(["outbox"]).stdout
        self.assertRegex(out, r"^%s .* to bob  tries=5  Sending: while the server is down\n$" % key)
        self.assertEqual(self.status(self.alice, key), "Sending")
        self.assertRegex(self.alice.run(["history"]).stdout, r"\[Sending\]")

    def test_trigger_next_send(self):
        self.d.stop()
        k1 = self.queued_key(self.alice.send("bob", "first, queued"))
        self.d.restart()
        r = self.alice.send("bob", "second")
        mid2 = self.sent_id(r)
        m = re.search(r"event=send_ok key=%s id=(%s) try=6 duplicate=0" % (k1, ID_RE), r.stderr)
        self.assertIsNotNone(m, r.stderr)
        self.assertLess(r.stderr.index(k1 + " id="), r.stderr.index("id=" + mid2))
        self.assertEqual(self.alice.run(["outbox"]).stdout, "")
        lb = self.bob.listen()
        lb.wait("alice: first, queued")
        lb.wait("alice: second")

    def test_trigger_listen_connect(self):
        self.d.stop()
        key = self.queued_key(self.alice.send("bob", "flushed on connect"))
        la = self.alice.listen(wait=False)
        time.sleep(1.0)  # listen retries the registration meanwhile
        self.d.restart()
        la.wait(r"^Listening as alice@localhost$")
        la.wait(r"^Enqueued: message %s to bob$" % ID_RE)
        self.assertEqual(self.alice.run(["outbox"]).stdout, "")
        self.assertRegex(self.status(self.alice, key), "Enqueued|Delivered")

    def test_trigger_keepalive_tick(self):
        # The HTTPS API goes through a relay that is closed at first, while
        # the SIP flow stays up: only the keepalive tick can flush.
        proxy = h.Proxy(self, self.d.port, listening=False)
        a = h.Client(self, "alice", env={"COLUMBA_TEST_KEEPALIVE_MS": "700"})
        a.login(self.d)
        a.set_server(proxy.port)
        la = a.listen()
        key = self.queued_key(a.send("bob", "flushed by a keepalive"))
        proxy.open_listener()
        la.wait(r"^Enqueued: message %s to bob$" % ID_RE, timeout=10)
        err = la.stop()
        self.assertEqual(err.count("event=registered"), 1, err)  # no reconnect
        ka = err.index("event=keepalive_tick")
        self.assertRegex(err[ka:], r"event=send_ok key=%s id=%s try=6" % (key, ID_RE))

    def test_outbox_expiry_send_error(self):
        env = {"COLUMBA_TEST_OUTBOX_EXPIRY_MS": "1500"}
        a = h.Client(self, "alice", env=env)
        a.login(self.d)
        self.d.stop()
        key = self.queued_key(a.send("bob", "too late"))
        out = os.path.join(a.home, "exec.out")
        la = a.listen(["--exec", 'echo "$COLUMBA_EVENT $COLUMBA_TO $COLUMBA_ID" >> %s' % out],
                      wait=False)
        la.wait(r"^Send error: message %s to bob was not sent in time" % key, timeout=10)
        deadline = time.monotonic() + 5
        while not os.path.exists(out) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(out) as f:
            self.assertEqual(f.read(), "send_error bob %s\n" % key)
        self.assertEqual(a.run(["outbox"]).stdout, "")
        self.assertRegex(a.run(["history"]).stdout, r"\[Error: Send error\]\n +to bob: too late")
        la.stop()
        # without listen, the command whose sweep finds it says so
        k2 = self.queued_key(a.send("bob", "also too late"))
        time.sleep(1.6)
        r = a.run(["outbox"])
        self.assertEqual(r.stdout, "")
        self.assertIn("columba: Send error: message %s to bob was not sent in time" % k2, r.stderr)
        # neither ever reaches the server, even once it is back
        self.d.restart()
        a.listen()
        time.sleep(1.0)
        self.assertEqual(self.accepted(), 0)

    def test_retries_never_duplicate(self):
        # each lost answer is cut only once the server has counted the
        # submit (a first one, then a duplicate)
        total = lambda: self.d.metrics().get("columba_messages_accepted_total", 0)  # noqa: E731
        proxy = h.Proxy(self, self.d.port, drop_answers=2, cut_when=lambda n: total() >= n)
        a = h.Client(self, "alice")
        a.login(self.d)
        a.set_server(proxy.port)
        lb = self.bob.listen()
        r = a.send("bob", "exactly once")
        mid = self.sent_id(r)
        self.assertEqual(len(re.findall(r"event=send_try_failed", r.stderr)), 2, r.stderr + str(proxy.log))
        self.assertRegex(r.stderr, r"event=send_ok key=\S+ id=%s try=3 duplicate=1" % mid)
        lb.wait("alice: exactly once")
        time.sleep(1.0)
        self.assertEqual(sum("exactly once" in l for l in lb.lines), 1)
        self.assertEqual(self.accepted(), 1)
        self.assertEqual(self.accepted(duplicates=True), 2)
        self.assertEqual(self.status(a, mid), "Delivered")


if __name__ == "__main__":
    ct.main()
