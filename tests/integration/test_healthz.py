"""/healthz over HTTPS, several requests on one keep-alive connection (curl and http.client)."""
import subprocess

import columba_test as ct


class Healthz(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start()

    def test_curl_keepalive(self):
        d = self.d
        m0 = d.metrics()
        url = "https://localhost:%d/healthz" % d.port
        # --resolve: where localhost is also ::1 (Debian's default /etc/hosts)
        # curl's happy eyeballs may open a second connection over IPv6.
        r = subprocess.run(["curl", "-sS", "-v", "--cacert", d.cert, "--max-time", "20",
                            "--resolve", "localhost:%d:%s" % (d.port, d.host),
                            "-w", "\\n%{http_code}\\n", url, url, url, url],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count('{"status":"ok"}'), 4, r.stdout)
        self.assertEqual(r.stdout.count("\n200\n"), 4, r.stdout)
        # curl reuses its connection for the 2nd..4th URL.
        self.assertEqual(r.stderr.count("Re-using existing connection"), 3, r.stderr)
        m1 = d.metrics()
        # One TLS connection for four requests; each /metrics read is a
        # fresh admin connection, counted in the same total.
        self.assertEqual(m1["columba_connections_accepted_total"]
                         - m0["columba_connections_accepted_total"], 2)
        self.assertEqual(m1["columba_tls_handshakes_total"]
                         - m0["columba_tls_handshakes_total"], 1)
        # Admin requests count too: m1's own request is counted before
        # its body is built (m0's was counted in m0).
        self.assertEqual(m1["columba_http_requests_total"]
                         - m0["columba_http_requests_total"], 4 + 1)

    def test_http_client_keepalive(self):
        d = self.d
        m0 = d.metrics()
        conn = d.https_connection()
        first_sock = None
        for i in range(5):
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.getheader("Content-Type"), "application/json")
            self.assertEqual(r.getheader("Connection"), "keep-alive")
            self.assertEqual(r.read(), b'{"status":"ok"}\n')
            if first_sock is None:
                first_sock = conn.sock
                self.assertEqual(conn.sock.version(), "TLSv1.3")
            self.assertIs(conn.sock, first_sock, "http.client had to reconnect")
        # HEAD: the same headers, no body.
        conn.request("HEAD", "/healthz")
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Length"), "16")
        self.assertEqual(r.read(), b"")
        self.assertIs(conn.sock, first_sock)
        conn.close()
        m1 = d.metrics()
        self.assertEqual(m1["columba_connections_accepted_total"]
                         - m0["columba_connections_accepted_total"], 2)
        self.assertEqual(m1["columba_tls_handshakes_total"]
                         - m0["columba_tls_handshakes_total"], 1)
        # m0's own 200 is counted after m0's body was built.
        self.assertEqual(m1['columba_http_responses_total{class="2xx"}']
                         - m0['columba_http_responses_total{class="2xx"}'], 6 + 1)

    def test_connection_close_honoured(self):
        s = self.d.tls_stream()
        s.send(ct.request_bytes(headers=[("Connection", "close")]))
        r = s.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("connection"), "close")
        self.assertTrue(s.closed_by_peer())
        s.close()

    def tearDown(self):
        self.d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
