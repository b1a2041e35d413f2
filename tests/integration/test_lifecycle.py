"""Lifecycle: SIGTERM with an idle keep-alive connection; SIGHUP certificate reload
(existing connections keep working, new ones get the new certificate, a broken
key is refused and the old certificate kept)."""
import os
import shutil
import signal
import ssl
import subprocess
import tempfile

import columba_test as ct


def make_cert(dirpath, name):
    """A self-signed ECDSA P-256 certificate for localhost; returns (cert, key, DER)."""
    cert = os.path.join(dirpath, name + "-cert.pem")
    key = os.path.join(dirpath, name + "-key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=localhost/O=Columba test %s" % name,
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("openssl req: " + r.stderr)
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return cert, key, der


class Lifecycle(ct.DaemonTestCase):
    def test_sigterm_with_idle_keepalive(self):
        d = self.start()
        s = d.tls_stream()
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        d.signal(signal.SIGTERM)
        # The idle connection is closed by the drain, not left to a timeout.
        self.assertTrue(s.closed_by_peer(timeout=10))
        s.close()
        d.stop_ok(self)
        log = d.log()
        self.assertIn("event=stopping signal=TERM", log)
        self.assertRegex(log, r"event=draining worker=0 conns=\d+")
        self.assertNotIn("drain_timeout", log)

    def test_sigterm_lets_a_request_in_progress_finish(self):
        d = self.start()
        s = d.tls_stream()
        req = ct.request_bytes()
        s.send(req[:10])
        # The request is in the server's buffer before the signal.
        d.wait_ready()
        d.signal(signal.SIGTERM)
        d.wait_log(r"event=draining worker=0 conns=\d+")
        # New connections are no longer accepted...
        with self.assertRaises(OSError):
            d.tls_stream(timeout=5)
        # ...but the started request is answered, with Connection: close.
        s.send(req[10:])
        r = s.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("connection"), "close")
        self.assertTrue(s.closed_by_peer(timeout=10))
        s.close()
        d.stop_ok(self)
        self.assertNotIn("drain_timeout", d.log())

    def test_drain_timeout_resets_a_stalled_request(self):
        d = self.start(sets=["server.drain_timeout_ms=500"])
        s = d.tls_stream()
        s.send(ct.request_bytes()[:10])
        d.wait_ready()
        d.signal(signal.SIGTERM)
        self.assertTrue(s.closed_by_peer(timeout=15))
        s.close()
        d.stop_ok(self)
        self.assertRegex(d.log(), r"event=drain_timeout worker=0 conns_aborted=1")

    def test_sigint_stops_too(self):
        d = self.start(workers=2)
        d.signal(signal.SIGINT)
        d.stop_ok(self)
        self.assertIn("event=stopping signal=INT", d.log())
        self.assertEqual(len([l for l in d.log().splitlines() if "event=draining" in l]), 2)

    def test_sighup_reload(self):
        # Two workers: both must pick up the new certificate.
        tmp = tempfile.mkdtemp(prefix="columba-certs-")
        self.addCleanup(shutil.rmtree, tmp, True)
        a_cert, a_key, a_der = make_cert(tmp, "a")
        b_cert, b_key, b_der = make_cert(tmp, "b")
        live_cert = os.path.join(tmp, "live-cert.pem")
        live_key = os.path.join(tmp, "live-key.pem")
        os.link(a_cert, live_cert)
        os.link(a_key, live_key)
        both = os.path.join(tmp, "both.pem")
        with open(both, "w") as f, open(a_cert) as fa, open(b_cert) as fb:
            f.write(fa.read() + fb.read())
        d = self.start(workers=2, config_text="[tls]\ncertificate = %s\nprivate_key = %s\n"
                       % (live_cert, live_key))
        self.assertNotIn("dev_certificate", d.log())
        ctx = d.tls_context(cafile=both)

        def new_conn_cert():
            s = d.tls_stream(ctx=ctx)
            der = s.sock.getpeercert(binary_form=True)
            s.send(ct.request_bytes())
            self.assertEqual(s.read_response().status, 200)
            s.close()
            return der

        self.assertEqual(new_conn_cert(), a_der)
        keep = d.tls_stream(ctx=ctx)
        keep.send(ct.request_bytes())
        self.assertEqual(keep.read_response().status, 200)
        self.assertEqual(keep.sock.getpeercert(binary_form=True), a_der)

        # Replace the files, then SIGHUP.
        os.replace(b_cert, live_cert)
        os.replace(b_key, live_key)
        d.signal(signal.SIGHUP)
        d.wait_log(r"event=reload_requested workers=2")
        d.wait_log(r"event=certificate_reloaded worker=0")
        d.wait_log(r"event=certificate_reloaded worker=1")
        # The old connection still works, on its old session.
        keep.send(ct.request_bytes())
        self.assertEqual(keep.read_response().status, 200)
        # New connections (whichever worker takes them) present B.
        for _ in range(4):
            self.assertEqual(new_conn_cert(), b_der)

        # A broken key: reload refused, B kept.
        with open(live_key, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        d.signal(signal.SIGHUP)
        m = d.wait_log(r"level=error comp=tls event=reload_failed err=\"([^\"]*)\"")
        self.assertIn(live_key, m.group(1))
        self.assertEqual(len([l for l in d.log().splitlines() if "certificate_reloaded" in l]), 2)
        for _ in range(4):
            self.assertEqual(new_conn_cert(), b_der)
        keep.send(ct.request_bytes())
        self.assertEqual(keep.read_response().status, 200)
        keep.close()
        # The key must never be logged.
        self.assertNotIn("PRIVATE KEY", d.log())
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
