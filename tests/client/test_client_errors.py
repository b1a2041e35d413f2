"""The client's clear errors (issue 6): unreachable server, certificate
mismatch (pin and CA file), bad credentials (HTTPS login and SIP REGISTER),
and text over 160 characters refused before anything is sent."""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_test as h  # noqa: E402

ct = h.ct
USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"))


class ClientErrors(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(users=USERS)
        self.alice = h.Client(self, "alice")

    def login_args(self, server_port=None, trust=None):
        return ["login", "--server", "localhost:%d" % (server_port or self.d.port),
                "--sip", "localhost:%d" % self.d.sip_port, "--user", "alice"] + \
               (trust or ["--cafile", self.d.cert])

    def test_unreachable(self):
        r = self.alice.run(self.login_args(server_port=ct.free_port()),
                           input_text="alice-secret-pw\n")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("columba: login failed: server unreachable", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.alice.config_dir, "config")))

    def test_certificate_mismatch_pin(self):
        r = self.alice.run(self.login_args(trust=["--pin", "00" * 32]),
                           input_text="alice-secret-pw\n")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("certificate mismatch", r.stderr)
        # the right pin works, and a send after the pin changed is refused
        # the same way (the message stays in the outbox)
        self.alice.login(self.d, pin=True)
        cfg = os.path.join(self.alice.config_dir, "config")
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(re.sub(r"(?m)^pin = .*$", "pin = " + "ab" * 32, text))
        r = self.alice.send("bob", "not to an impostor")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("certificate mismatch", r.stderr)
        self.assertRegex(r.stdout, r"^Sending [0-9a-f]{32}\n$")
        self.assertIn("not to an impostor", self.alice.run(["outbox"]).stdout)

    def test_certificate_mismatch_cafile(self):
        cas = sorted(glob.glob("/etc/ssl/certs/*.pem"))
        if not cas:
            self.skipTest("no system CA certificates to stand in for a wrong CA")
        r = self.alice.run(self.login_args(trust=["--cafile", cas[0]]),
                           input_text="alice-secret-pw\n")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("certificate mismatch", r.stderr)

    def test_ip_literal_hosts(self):
        # A numeric host is checked against the certificate's iPAddress
        # names (the development certificate has 127.0.0.1 and ::1).
        hosts = ["127.0.0.1"] + (["[::1]"] if ct.have_ipv6_loopback() else [])
        for host in hosts:
            with self.subTest(host=host):
                r = self.alice.run(["login", "--server", "%s:%d" % (host, self.d.port),
                                    "--sip", "%s:%d" % (host, self.d.sip_port),
                                    "--domain", "localhost", "--user", "alice",
                                    "--cafile", self.d.cert], input_text="alice-secret-pw\n")
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.alice.send("bob", "over %s" % host)
                self.assertEqual(r.returncode, 0, r.stderr)
        # an address the certificate does not name
        r = self.alice.run(["login", "--server", "127.0.0.2:%d" % self.d.port,
                            "--sip", "127.0.0.2:%d" % self.d.sip_port, "--domain", "localhost",
                            "--user", "alice", "--cafile", self.d.cert],
                           input_text="alice-secret-pw\n")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("certificate mismatch", r.stderr)

    def test_bad_credentials(self):
        r = self.alice.run(self.login_args(), input_text="wrong-password\n")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("bad credentials", r.stderr)
        self.assertNotIn("wrong-password", r.stderr + r.stdout)
        # SIP: digest answers made from a wrong password are refused too
        self.alice.login(self.d)
        cfg = os.path.join(self.alice.config_dir, "config")
        with open(cfg) as f:
            text = f.read()
        self.assertNotIn("alice-secret-pw", text)  # only HA1 values
        self.assertEqual(os.stat(cfg).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.join(self.alice.config_dir, "key")).st_mode & 0o777, 0o600)
        text = re.sub(r"(?m)^ha1_sha256 = .*$", "ha1_sha256 = " + "0" * 64, text)
        text = re.sub(r"(?m)^ha1_md5 = .*$", "ha1_md5 = " + "0" * 32, text)
        with open(cfg, "w") as f:
            f.write(text)
        li = self.alice.listen(wait=False)
        self.assertEqual(li.proc.wait(timeout=30), 5)
        self.assertIn("cannot register: bad credentials", li.stop())

    def test_text_over_160(self):
        self.alice.login(self.d)
        r = self.alice.send("bob", "x" * 161)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("text too long: 161 characters, at most 160", r.stderr)
        r = self.alice.send("bob", "😀" * 161)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.alice.run(["outbox"]).stdout, "")
        self.assertEqual(self.alice.run(["history"]).stdout, "(no messages)\n")
        m = self.d.metrics()
        self.assertEqual(m.get("columba_messages_accepted_total", 0), 0)
        # exactly 160 characters (of 4 bytes each) go
        r = self.alice.send("bob", "😀" * 160)
        self.assertEqual(r.returncode, 0, r.stderr)
        # unknown recipient: refused by the server, Error
        r = self.alice.send("nobody", "hello?")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertIn("unknown_recipient", r.stderr)
        self.assertRegex(self.alice.run(["history"]).stdout, r"\[Error: unknown_recipient\]")


if __name__ == "__main__":
    ct.main()
