"""Slowloris (request timeout 408), idle keep-alive timeout, TLS handshake timeout.

Times are bounds, never assertions of how fast something happened."""
import re
import select
import ssl
import time

import columba_test as ct


class Timeouts(ct.DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = ct.Columbad(sets=["http.header_timeout_ms=1000", "http.idle_timeout_ms=1000",
                                  "tls.handshake_timeout_ms=1000", "server.log_level=debug"])

    @classmethod
    def tearDownClass(cls):
        d = cls.d
        rc = d.stop()
        log = d.log()
        rep = ct.sanitizer_report(log)
        d.close()
        if rc != 0 or rep or "event=stopped status=0" not in log:
            raise AssertionError("columbad stop: rc=%s sanitizer=%s\n%s" % (rc, rep, log))

    def metric(self, kind):
        return self.d.metrics()['columba_timeouts_total{kind="%s"}' % kind]

    def test_slowloris_408(self):
        before = self.metric("request")
        s = self.d.tls_stream()
        # 60 bytes at one per 200 ms would take 12 s; the limit is 1 s.
        head = ct.request_bytes(headers=[("X-Padding", "p" * 20)])
        self.assertGreater(len(head), 50)
        sent = 0
        got = b""
        deadline = time.monotonic() + 15
        while sent < len(head) and time.monotonic() < deadline:
            try:
                s.sock.send(head[sent:sent + 1])
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                break
            sent += 1
            r, _, _ = select.select([s.sock], [], [], 0.2)
            if r or s.sock.pending():
                break
        self.assertLess(sent, len(head), "the server waited for the whole slow head")
        r = s.read_response()
        self.assertEqual(r.status, 408)
        self.assertEqual(r.header("connection"), "close")
        self.assertEqual(r.json()["error"], "request_timeout")
        self.assertTrue(s.closed_by_peer(timeout=5))
        s.close()
        self.d.wait_log(r"level=info comp=http event=request_timeout peer=%s:\d+"
                        % re.escape(self.d.client_ip(1)))
        self.assertEqual(self.metric("request"), before + 1)

    def test_request_timer_covers_the_body(self):
        # The head is complete but the body never comes: 408 too.
        s = self.d.tls_stream()
        s.send(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc")
        r = s.read_response(timeout=10)
        self.assertEqual((r.status, r.json()["error"]), (408, "request_timeout"))
        self.assertTrue(s.closed_by_peer(timeout=5))
        s.close()

    def test_idle_keepalive_closed(self):
        before = self.metric("idle")
        s = self.d.tls_stream()
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        # Nothing more is sent: the server closes after ~1 s.
        self.assertTrue(s.closed_by_peer(timeout=10))
        s.close()
        self.assertEqual(self.metric("idle"), before + 1)

    def test_idle_after_handshake_closed(self):
        # A TLS connection that never sends a request is idle too.
        s = self.d.tls_stream()
        self.assertTrue(s.closed_by_peer(timeout=10))
        s.close()

    def test_handshake_timeout(self):
        before = self.metric("handshake")
        t = self.d.tcp_stream()  # TCP only: no ClientHello
        self.assertTrue(t.closed_by_peer(timeout=10))
        t.close()
        self.assertEqual(self.metric("handshake"), before + 1)
        self.assertIn("event=handshake_timeout", self.d.log())

    def test_partial_client_hello_timeout(self):
        before = self.metric("handshake")
        t = self.d.tcp_stream()
        t.send(b"\x16\x03\x01\x02\x00\x01")  # a record header and a byte: no more
        self.assertTrue(t.closed_by_peer(timeout=10))
        t.close()
        self.assertEqual(self.metric("handshake"), before + 1)


if __name__ == "__main__":
    ct.main()
