"""The delivery engine and SIP submit (issue 5 items 3-5), with shrunk timings:
online delivery, offline then REGISTER, a recipient that stops answering
(attempts, parked, delivered on re-REGISTER), a permanent failure, expiry,
several devices, delivery notifications (message/imdn+xml), SIP submit and
its rules, nobody receiving another user's messages, and kill -9 between
the 202 and the delivery (same Call-ID after the restart)."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import columba_test as ct  # noqa: E402

USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"),
         ("carol", "carol-secret-pw"), ("dave", "dave-secret-pw"))
PW = dict(USERS)
ID_RE = re.compile(r"^[0-9A-Z]{26}$")

# Attempts 300 ms apart, 300 ms to answer; expiry checked every 100 ms.
SETS = ["sip.retry_interval_ms=300", "sip.attempt_timeout_ms=300", "sip.delivery_attempts=5",
        "store.expiry_interval_ms=100", "server.log_level=debug"]


class SipDelivery(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(users=USERS, tokens=[u for u, _ in USERS], sets=SETS)

    def flow(self, user, register=True):
        f = self.d.sip_flow()
        self.addCleanup(f.close)
        if register:
            r, _ = f.register_auth(PW[user], user=user, expires=600)
            self.assertEqual(r.status, 200, r)
        return f

    def submit(self, sender, to, text, **extra):
        r = self.d.submit(self.d.tokens[sender], to, text, **extra)
        self.assertEqual(r.status, 202, r)
        return r.json()["id"]

    def status(self, sender, mid):
        r = self.d.api("GET", "/v1/messages/" + mid, token=self.d.tokens[sender])
        self.assertEqual(r.status, 200, r)
        return r.json()["status"]

    def wait_status(self, sender, mid, want, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            st = self.status(sender, mid)
            if st == want or time.monotonic() > deadline:
                self.assertEqual(st, want, "message %s" % mid)
                return
            time.sleep(0.05)

    def expect_message(self, f, sender, rcpt, text, mid, timeout=10.0):
        req = f.next_request(timeout)
        self.assertEqual(req.method, "MESSAGE", req)
        self.assertEqual(req.header("call-id"), "%s@localhost" % mid)
        self.assertEqual(req.header("cseq"), "1 MESSAGE")
        self.assertTrue(req.header("from").startswith("<sips:%s@localhost>;tag=" % sender), req)
        self.assertEqual(req.header("to"), "<sips:%s@localhost>" % rcpt)
        self.assertEqual(req.header("content-type"), "text/plain;charset=UTF-8")
        self.assertIsNotNone(req.header("date"))
        self.assertEqual(req.body.decode(), text)
        # the registered Contact is the Request-URI
        self.assertEqual(req.ruri, "sips:%s@client.invalid;transport=tls" % rcpt)
        return req

    def expect_imdn(self, f, mid, state, rcpt, timeout=10.0):
        req = f.next_request(timeout)
        self.assertEqual(req.method, "MESSAGE", req)
        self.assertEqual(req.header("content-type"), "message/imdn+xml")
        body = req.body.decode()
        self.assertIn("<message-id>%s</message-id>" % mid, body)
        self.assertIn("<recipient-uri>sips:%s@localhost</recipient-uri>" % rcpt, body)
        self.assertIn("<c:state>%s</c:state>" % state, body)
        self.assertIn("<delivered/>" if state == "delivered" else "<failed/>", body)
        f.answer(req, 200)
        return req

    def test_online_delivery_and_notification(self):
        alice = self.flow("alice")
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "hello bob, ünïcode ok")
        req = self.expect_message(bob, "alice", "bob", "hello bob, ünïcode ok", mid)
        bob.answer(req, 200)
        self.wait_status("alice", mid, "delivered")
        self.expect_imdn(alice, mid, "delivered", "bob")
        self.d.wait_log(r"event=delivered flow=\S+ id=%s attempt=1" % mid)
        m = self.d.metrics()
        self.assertGreaterEqual(m['columba_sip_deliveries_total{outcome="delivered"}'], 2)
        # the text is never in the log
        self.assertNotIn("hello bob", self.d.log())

    def test_notification_opt_out(self):
        alice = self.flow("alice")
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "no receipt please", notify=False)
        bob.answer(self.expect_message(bob, "alice", "bob", "no receipt please", mid), 200)
        self.wait_status("alice", mid, "delivered")
        self.assertTrue(alice.no_request(1.0))

    def test_offline_then_register_in_order(self):
        ids = [self.submit("alice", "bob", "queued %d" % i) for i in range(3)]
        for mid in ids:
            self.assertEqual(self.status("alice", mid), "enqueued")
        bob = self.flow("bob")
        for i, mid in enumerate(ids):  # window 1: one at a time, in id order
            req = self.expect_message(bob, "alice", "bob", "queued %d" % i, mid)
            self.assertTrue(bob.no_request(0.2))
            bob.answer(req, 200)
        for mid in ids:
            self.wait_status("alice", mid, "delivered")

    def test_unanswered_then_parked_then_reregister(self):
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "are you there")
        branches = set()
        for attempt in range(5):
            req = self.expect_message(bob, "alice", "bob", "are you there", mid, timeout=5)
            branches.add(req.header("via"))
        self.assertEqual(len(branches), 5)  # a new transaction per attempt, same Call-ID/CSeq
        self.d.wait_log(r"event=delivery_parked flow=\S+ id=%s attempts=5" % mid)
        self.assertTrue(bob.no_request(1.5))  # parked: no sixth attempt
        self.assertEqual(self.status("alice", mid), "enqueued")
        # a message arriving meanwhile waits too
        mid2 = self.submit("alice", "bob", "second")
        self.assertTrue(bob.no_request(0.5))
        r, _ = bob.register_auth(PW["bob"], user="bob", expires=600)
        self.assertEqual(r.status, 200, r)
        req = self.expect_message(bob, "alice", "bob", "are you there", mid)
        bob.answer(req, 200)
        bob.answer(self.expect_message(bob, "alice", "bob", "second", mid2), 200)
        self.wait_status("alice", mid, "delivered")
        self.wait_status("alice", mid2, "delivered")
        m = self.d.metrics()
        self.assertGreaterEqual(m['columba_sip_messages_sent_total{attempt="retry"}'], 4)

    def test_temporary_answers_retry(self):
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "busy?")
        for status in (480, 503, 408):
            req = self.expect_message(bob, "alice", "bob", "busy?", mid)
            bob.answer(req, status, "Try Later")
        bob.answer(self.expect_message(bob, "alice", "bob", "busy?", mid), 200)
        self.wait_status("alice", mid, "delivered")

    def test_permanent_failure(self):
        alice = self.flow("alice")
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "reject me")
        bob.answer(self.expect_message(bob, "alice", "bob", "reject me", mid), 488,
                   "Not Acceptable Here")
        self.wait_status("alice", mid, "failed")
        self.expect_imdn(alice, mid, "failed", "bob")
        self.assertTrue(bob.no_request(1.0))  # never retried

    def test_expiry_notifies_and_never_delivers(self):
        alice = self.flow("alice")
        mid = self.submit("alice", "bob", "short-lived", ttl=1)
        self.wait_status("alice", mid, "expired", timeout=10)
        self.expect_imdn(alice, mid, "expired", "bob")
        bob = self.flow("bob")
        self.assertTrue(bob.no_request(1.5))

    def test_several_devices(self):
        phone = self.flow("bob")
        laptop = self.flow("bob")
        mid = self.submit("alice", "bob", "to every device")
        r1 = self.expect_message(phone, "alice", "bob", "to every device", mid)
        r2 = self.expect_message(laptop, "alice", "bob", "to every device", mid)
        self.assertEqual(r1.header("call-id"), r2.header("call-id"))
        laptop.answer(r2, 200)
        self.wait_status("alice", mid, "delivered")
        phone.answer(r1, 200)  # the second answer finds it delivered: harmless
        mid2 = self.submit("alice", "bob", "next")
        phone.answer(self.expect_message(phone, "alice", "bob", "next", mid2), 200)
        laptop.answer(self.expect_message(laptop, "alice", "bob", "next", mid2), 200)
        self.wait_status("alice", mid2, "delivered")

    def test_nobody_receives_someone_elses(self):
        carol = self.flow("carol")
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "for bob only")
        bob.answer(self.expect_message(bob, "alice", "bob", "for bob only", mid), 200)
        self.wait_status("alice", mid, "delivered")
        self.assertTrue(carol.no_request(1.0))
        # and carol cannot register as bob to get his messages
        self.submit("alice", "bob", "still for bob")
        f = self.d.sip_flow()
        self.addCleanup(f.close)
        r, _ = f.register_auth(PW["carol"], user="bob", auth_user="carol")
        self.assertEqual(r.status, 403, r)
        r, _ = f.register_auth("wrong-password", user="bob")
        self.assertEqual(r.status, 401, r)
        self.assertTrue(f.no_request(1.0))

    def test_sip_submit(self):
        alice = self.flow("alice")
        bob = self.flow("bob")
        ct_plain = [("Content-Type", "text/plain;charset=UTF-8")]
        msg = alice.request_bytes("MESSAGE", ruri="sips:bob@localhost", user="alice",
                                  to_user="bob", headers=ct_plain, body="över SIP".encode())
        alice.send(msg)
        r = alice.read_response()
        self.assertEqual(r.status, 202, r)
        mid = r.header("x-columba-message-id")
        self.assertRegex(mid, ID_RE)
        # the same request again (a lost answer): the same id, one message
        alice.send(msg)
        r = alice.read_response()
        self.assertEqual((r.status, r.header("x-columba-message-id")), (202, mid))
        bob.answer(self.expect_message(bob, "alice", "bob", "över SIP", mid), 200)
        self.assertTrue(bob.no_request(1.0))
        self.wait_status("alice", mid, "delivered")
        self.expect_imdn(alice, mid, "delivered", "bob")

    def test_sip_submit_rules(self):
        alice = self.flow("alice")
        ct_plain = [("Content-Type", "text/plain")]

        def send(body=b"hi", ruri="sips:bob@localhost", user="alice", headers=ct_plain, f=alice):
            return f.request("MESSAGE", ruri=ruri, user=user, to_user="bob", headers=headers,
                             body=body)

        cases = [
            (dict(body=("x" * 161).encode()), 413, "text_too_long"),
            (dict(body=b""), 400, "text_empty"),
            (dict(body=b"\xff\xfe"), 400, "text_invalid_utf8"),
            (dict(body=b"a\x07b"), 400, "text_control_char"),
            (dict(ruri="sips:nobody@localhost"), 404, "unknown_recipient"),
            (dict(ruri="sips:bob@example.org"), 404, "not our domain"),
            (dict(headers=[("Content-Type", "text/html")]), 415, "text/plain"),
            (dict(headers=[("Content-Type", "text/plain;charset=latin1")]), 415, "text/plain"),
            (dict(user="carol"), 403, "From must be the registered user"),
            (dict(headers=ct_plain + [("Expires", "0")]), 400, "ttl_out_of_range"),
        ]
        for kw, status, needle in cases:
            with self.subTest(kw=kw):
                r = send(**kw)
                self.assertEqual(r.status, status, r)
                self.assertIn(needle, r.reason)
        self.assertIn("text/plain", send(headers=[("Content-Type", "text/html")]).header("accept"))
        # 160 code points of 4 bytes each are fine
        self.assertEqual(send(body=("😀" * 160).encode()).status, 202)
        # a flow that never registered cannot submit
        anon = self.flow("dave", register=False)
        r = send(f=anon, user="dave")
        self.assertEqual(r.status, 403, r)
        m = self.d.metrics()
        self.assertGreaterEqual(m['columba_sip_submits_total{result="rejected"}'], 11)

    def test_kill9_before_delivery_same_call_id(self):
        bob = self.flow("bob")
        mid = self.submit("alice", "bob", "survive the crash")
        first = self.expect_message(bob, "alice", "bob", "survive the crash", mid)
        # no answer: columbad dies with the message unacknowledged
        self.d.kill9()
        bob.close()
        self.d.restart()
        bob2 = self.flow("bob")
        again = self.expect_message(bob2, "alice", "bob", "survive the crash", mid)
        self.assertEqual(again.header("call-id"), first.header("call-id"))
        self.assertEqual(again.header("cseq"), first.header("cseq"))
        bob2.answer(again, 200)
        self.wait_status("alice", mid, "delivered")
        # and one submitted while bob was away, then a crash before he registers
        bob2.close()
        mid2 = self.submit("alice", "bob", "offline and a crash")
        self.d.kill9()
        self.d.restart()
        bob3 = self.flow("bob")
        bob3.answer(self.expect_message(bob3, "alice", "bob", "offline and a crash", mid2), 200)
        self.wait_status("alice", mid2, "delivered")


if __name__ == "__main__":
    ct.main()
