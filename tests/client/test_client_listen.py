"""`columba listen` (issue 6): --exec gets the sender and id in its
environment and never the text; CRLFCRLF keepalives answered by the
server; re-REGISTER before the binding expires (and the 423 Min-Expires
answer honoured); a lost flow is re-established and the outbox flushed on
that reconnect."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_test as h  # noqa: E402

ct = h.ct
USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"))
ID_RE = r"[0-9A-Z]{26}"


class Listen(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(users=USERS, sets=["sip.min_expires_s=1"])
        self.alice = h.Client(self, "alice")
        self.bob = h.Client(self, "bob", env={"COLUMBA_TEST_REGISTER_EXPIRES_S": "2"})
        self.alice.login(self.d)
        self.bob.login(self.d)

    def test_exec_environment_never_text(self):
        out = os.path.join(self.bob.home, "exec.env")
        lb = self.bob.listen(["--exec", "env > %s.tmp; mv %s.tmp %s" % (out, out, out)])
        r = self.alice.send("bob", "a secret for bob only")
        self.assertEqual(r.returncode, 0, r.stderr)
        mid = r.stdout.split()[1]
        lb.wait("alice: a secret for bob only")
        deadline = time.monotonic() + 10
        while not os.path.exists(out):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        with open(out) as f:
            env = f.read()
        self.assertIn("COLUMBA_EVENT=message\n", env)
        self.assertIn("COLUMBA_FROM=alice\n", env)
        self.assertIn("COLUMBA_ID=%s\n" % mid, env)
        self.assertNotIn("secret", env)

    def test_keepalive_and_reregister(self):
        lb = self.bob.listen()
        time.sleep(4.0)  # two binding lifetimes, eight keepalive ticks
        # still registered: a message reaches bob
        r = self.alice.send("bob", "still there")
        self.assertEqual(r.returncode, 0, r.stderr)
        lb.wait("alice: still there")
        err = lb.stop()
        regs = re.findall(r"event=registered user=bob expires_s=(\d+)", err)
        self.assertGreaterEqual(len(regs), 3, err)
        self.assertEqual(set(regs), {"2"})
        pongs = [int(p) for p in re.findall(r"event=keepalive_tick pongs=(\d+)", err)]
        self.assertGreaterEqual(len(pongs), 4, err)
        self.assertGreaterEqual(pongs[-1], len(pongs) - 1)  # the server answers each ping
        self.assertNotIn("flow_lost", err)

    def test_min_expires_honoured(self):
        # a daemon with the default sip.min_expires_s (60): 423, then 60 s
        d2 = self.start(users=USERS)
        b2 = h.Client(self, "bob", env={"COLUMBA_TEST_REGISTER_EXPIRES_S": "2"})
        b2.login(d2)
        li = b2.listen()
        err = li.stop()
        self.assertRegex(err, r"event=registered user=bob expires_s=60")

    def test_reconnect_flushes_outbox(self):
        la = self.alice.listen()
        self.d.stop()
        r = self.alice.send("bob", "sent while the flow was down")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.d.restart()
        la.wait(r"^Enqueued: message %s to bob$" % ID_RE, timeout=20)
        err = la.stop()
        self.assertIn("event=flow_lost", err)
        self.assertGreaterEqual(err.count("event=registered user=alice"), 2)
        self.assertEqual(self.alice.run(["outbox"]).stdout, "")
        lb = self.bob.listen()
        lb.wait("alice: sent while the flow was down")


if __name__ == "__main__":
    ct.main()
