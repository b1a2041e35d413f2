"""The admin listener: plain HTTP on loopback, /healthz and Prometheus /metrics."""
import http.client
import re
import socket
import ssl

import columba_test as ct

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r"\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\]*\")*\}"
SAMPLE = re.compile(r"^(%s)(%s)? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$"
                    % (NAME, LABELS))


def listen_addresses(port):
    """Local addresses of LISTEN sockets on port, from /proc/net/tcp{,6}."""
    out = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            addr, p = cols[1].split(":")
            if cols[3] == "0A" and int(p, 16) == port:
                out.append(addr)
    return out


class Admin(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start()

    def tearDown(self):
        self.d.stop_ok(self)

    def test_metrics_format(self):
        d = self.d
        conn = http.client.HTTPConnection(d.host, d.admin_port, timeout=10)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/plain; version=0.0.4")
        text = r.read().decode()
        conn.close()
        self.assertTrue(text.endswith("\n"))
        typed, helped, samples = {}, set(), []
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.assertIn(kind, ("counter", "gauge", "histogram", "summary", "untyped"))
                self.assertNotIn(name, typed, "two TYPE lines for " + name)
                typed[name] = kind
            elif line.startswith("# HELP "):
                helped.add(line.split(" ")[2])
            elif line.startswith("#"):
                self.fail("unknown comment line %r" % line)
            else:
                m = SAMPLE.match(line)
                self.assertIsNotNone(m, "not a Prometheus sample line: %r" % line)
                samples.append(m.group(1))
        self.assertGreater(len(samples), 10)
        for name in samples:
            # A histogram's (summary's) samples are <family>_bucket, _sum, _count.
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if base != name and typed.get(base) in ("histogram", "summary"):
                name = base
            self.assertIn(name, typed, "sample %s has no TYPE" % name)
            self.assertIn(name, helped, "sample %s has no HELP" % name)
            if typed[name] == "counter":
                self.assertTrue(name.endswith("_total"), name)
        for want in ("columba_up_seconds", "columba_connections_open",
                     "columba_connections_accepted_total", "columba_tls_handshakes_total",
                     "columba_http_requests_total", "columba_timeouts_total"):
            self.assertIn(want, typed)

    def test_healthz(self):
        st, body = self.d.admin_get("/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(body, b'{"status":"ok"}\n')
        st, body = self.d.admin_get("/nope")
        self.assertEqual(st, 404)
        # /metrics is not on the public HTTPS listener.
        s = self.d.tls_stream()
        s.send(ct.request_bytes(path="/metrics"))
        self.assertEqual(s.read_response().status, 404)
        s.close()

    def test_plain_http_only(self):
        d = self.d
        # Keep-alive and pipelining work on the plain listener too.
        t = d.tcp_stream(port=d.admin_port)
        t.send(ct.request_bytes() + ct.request_bytes(path="/metrics"))
        self.assertEqual(t.read_response().status, 200)
        r = t.read_response()
        self.assertEqual(r.status, 200)
        self.assertIn(b"columba_up_seconds", r.body)
        t.close()
        # A TLS client gets no handshake: the admin listener does not speak TLS.
        raw = socket.create_connection((d.host, d.admin_port), timeout=10)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            ctx.wrap_socket(raw, server_hostname="localhost")
        raw.close()

    def test_malformed_on_admin(self):
        t = self.d.tcp_stream(port=self.d.admin_port)
        t.send(b"GET /healthz HTTP/1.1\nHost: x\n\n")
        r = t.read_response()
        self.assertEqual((r.status, r.json()["error"]), (400, "bare_lf"))
        self.assertTrue(t.closed_by_peer(timeout=3))
        t.close()

    @ct.skip_on_dpdk("the stack has no loopback; its admin listener is *:port")
    def test_loopback_only(self):
        d = self.d
        # Bound to 127.0.0.1 exactly (not 0.0.0.0 or ::).
        self.assertEqual(listen_addresses(d.admin_port), ["0100007F"])
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", d.admin_port), timeout=5).close()
        # The defaults keep it on loopback.
        r = ct.run_columbad(["--print-config"])
        self.assertIn("admin_listen = 127.0.0.1:8081", r.stdout.splitlines())

    def test_admin_disabled(self):
        d2 = self.start(sets=["http.admin=false"], wait=False)
        # Ready when the HTTPS side answers.
        import time
        deadline = time.monotonic() + ct.START_TIMEOUT
        while True:
            try:
                s = d2.tls_stream()
                break
            except (OSError, FileNotFoundError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()
        self.assertEqual(listen_addresses(d2.admin_port), [])
        self.assertIn("admin=off", d2.log())
        d2.stop_ok(self)


if __name__ == "__main__":
    ct.main()
