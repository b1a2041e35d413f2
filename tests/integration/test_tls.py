"""TLS versions, key-exchange groups, ALPN and the development certificate's fingerprint."""
import re
import subprocess

import columba_test as ct


class Tls(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start()

    def s_client(self, *opts):
        cmd = ["openssl", "s_client", "-connect", "%s:%d" % (self.d.host, self.d.port),
               "-servername", "localhost", "-CAfile", self.d.cert, "-verify_return_error"]
        r = subprocess.run(cmd + list(opts), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def failures(self):
        return self.d.metrics()["columba_tls_handshake_failures_total"]

    def assert_refused(self, *opts):
        before = self.failures()
        rc, out = self.s_client(*opts)
        self.assertNotEqual(rc, 0, out)
        # The server itself refused (protocol_version alert), not the client.
        self.assertIn("alert protocol version", out)
        self.assertNotRegex(out, r"Cipher is (?!\(NONE\))")
        self.assertEqual(self.failures(), before + 1)

    def test_tls11_refused(self):
        # SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all.
        self.assert_refused("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")

    def test_tls10_refused(self):
        self.assert_refused("-tls1", "-cipher", "DEFAULT@SECLEVEL=0")

    def test_tls12(self):
        rc, out = self.s_client("-tls1_2")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"New, TLSv1\.2, Cipher is ECDHE-ECDSA-")
        self.assertIn("Verify return code: 0 (ok)", out)

    def test_tls13_x25519(self):
        rc, out = self.s_client("-tls1_3", "-groups", "X25519")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"New, TLSv1\.3, Cipher is TLS_")
        self.assertIn("Server Temp Key: X25519", out)

    def test_tls13_p256(self):
        rc, out = self.s_client("-tls1_3", "-groups", "P-256")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"New, TLSv1\.3, Cipher is TLS_")
        self.assertIn("Server Temp Key: ECDH, prime256v1, 256 bits", out)

    def test_tls13_unsupported_group_refused(self):
        # Only X25519 and P-256 are enabled: a client offering P-384 alone fails.
        before = self.failures()
        rc, out = self.s_client("-tls1_3", "-groups", "P-384")
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(self.failures(), before + 1)

    def test_alpn(self):
        rc, out = self.s_client("-alpn", "http/1.1")
        self.assertEqual(rc, 0, out)
        self.assertIn("ALPN protocol: http/1.1", out)
        s = self.d.tls_stream(ctx=self.d.tls_context(alpn=["http/1.1"]))
        self.assertEqual(s.sock.selected_alpn_protocol(), "http/1.1")
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()

    def test_dev_cert_fingerprint(self):
        d = self.d
        m = re.search(r"event=dev_certificate_created path=(\S+) sha256=([0-9A-F:]+)", d.log())
        self.assertIsNotNone(m, d.log())
        self.assertEqual(m.group(1), d.cert)
        r = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", d.cert],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = r.stdout.strip().split("=", 1)[1]
        self.assertEqual(m.group(2), want)
        # The key is private to the owner.
        import os
        key = os.path.join(d.state, "tls", "dev-key.pem")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        # A restart on the same state directory keeps the certificate and
        # logs the same fingerprint.
        d.stop_ok(self)
        d2 = self.start(state_dir=d.state)
        m2 = d2.wait_log(r"event=dev_certificate path=(\S+) sha256=([0-9A-F:]+)")
        self.assertEqual(m2.group(2), want)
        self.assertNotIn("dev_certificate_created", d2.log())
        d2.stop_ok(self)

    def resumed(self, d):
        """Connect twice with one context; was the second a resumption?"""
        ctx = d.tls_context()
        s1 = d.tls_stream(ctx=ctx)
        # TLS 1.3 tickets come after the handshake: read a response first.
        s1.send(ct.request_bytes())
        self.assertEqual(s1.read_response().status, 200)
        sess = s1.sock.session
        s1.close()
        raw = __import__("socket").create_connection((d.host, d.port), timeout=10)
        s2 = ctx.wrap_socket(raw, server_hostname="localhost", session=sess)
        st = ct.Stream(s2)
        st.send(ct.request_bytes())
        self.assertEqual(st.read_response().status, 200)
        reused = s2.session_reused
        st.close()
        return reused

    def test_session_tickets(self):
        self.assertTrue(self.resumed(self.d))

    def test_session_tickets_off(self):
        d2 = self.start(sets=["tls.session_tickets=false"])
        self.assertFalse(self.resumed(d2))
        d2.stop_ok(self)

    def tearDown(self):
        if self.d.proc.poll() is None:
            self.d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
