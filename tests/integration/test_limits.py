"""Connection limits: max_connections_per_address and max_connections.

/metrics is read from the second client address (127.0.0.2; d.client_ip(2))
so that the admin connections (same worker, same per-address table) never
count against the first one's quota."""
import socket
import time

import columba_test as ct



def admin_src(d):
    """The source address of the /metrics reads."""
    return d.client_ip(2)


class Limits(ct.DaemonTestCase):
    def refused_at_once(self, d):
        """Connect (plain TCP) and see the server close the connection at
        once. A reset may even beat connect() back to the caller (the dpdk
        stack refuses within microseconds): refused as well."""
        try:
            extra = d.tcp_stream()
        except ConnectionResetError:
            return True
        try:
            return extra.closed_by_peer(timeout=5)
        finally:
            extra.close()

    def wait_open(self, d, n, timeout=10.0):
        """Wait until columba_connections_open == n (+1 for the metrics read itself)."""
        deadline = time.monotonic() + timeout
        while True:
            m = d.metrics(source=admin_src(d))
            if m["columba_connections_open"] == n + 1:
                return m
            if time.monotonic() > deadline:
                self.fail("connections_open stayed %s, wanted %d" % (m["columba_connections_open"], n))
            time.sleep(0.05)

    def check_limit(self, d, limit_label, n):
        m0 = self.wait_open(d, 0)
        conns = []
        for i in range(n):
            s = d.tls_stream()
            s.send(ct.request_bytes())
            self.assertEqual(s.read_response().status, 200, "connection %d" % i)
            conns.append(s)
        # The next one is accepted by the kernel and closed at once.
        self.assertTrue(self.refused_at_once(d), "connection %d was not refused" % (n + 1))
        # A TLS client sees the handshake fail.
        with self.assertRaises((ConnectionError, ssl_errors())):
            d.tls_stream().close()
        m1 = d.metrics(source=admin_src(d))
        key = 'columba_connections_refused_total{limit="%s"}' % limit_label
        self.assertEqual(m1[key] - m0[key], 2)
        self.assertEqual(m1["columba_connections_open"], n + 1)
        # The first n still work.
        for s in conns:
            s.send(ct.request_bytes())
            self.assertEqual(s.read_response().status, 200)
        # Closing one frees its place.
        conns.pop().close()
        self.wait_open(d, n - 1)
        s = d.tls_stream()
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        conns.append(s)
        for s in conns:
            s.close()

    def test_per_address(self):
        d = self.start(sets=["http.max_connections_per_address=5"])
        self.check_limit(d, "per_address", 5)
        # Another client address has its own quota.
        s = d.tls_stream(source=d.client_ip(3))
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()
        d.stop_ok(self)

    def test_max_connections(self):
        # max_connections counts every listener of the worker, admin too.
        d = self.start(sets=["http.max_connections=3"])
        m0 = self.wait_open(d, 0)
        conns = []
        for i in range(3):
            s = d.tls_stream()
            s.send(ct.request_bytes())
            self.assertEqual(s.read_response().status, 200, "connection %d" % i)
            conns.append(s)
        self.assertTrue(self.refused_at_once(d), "connection 4 was not refused")
        # The admin listener is refused too while the worker is full.
        with self.assertRaises(OSError):
            d.admin_get("/healthz", source=admin_src(d))
        for s in conns[1:]:
            s.send(ct.request_bytes())
            self.assertEqual(s.read_response().status, 200)
        conns.pop(0).close()
        # One place is free again (closing is asynchronous: retry briefly).
        # Each refused try is counted as well.
        deadline = time.monotonic() + 10
        tries_refused = 0
        while True:
            try:
                m1 = d.metrics(source=admin_src(d))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                tries_refused += 1
                time.sleep(0.05)
        key = 'columba_connections_refused_total{limit="max_connections"}'
        self.assertEqual(m1[key] - m0[key], 2 + tries_refused)
        for s in conns:
            s.close()
        d.stop_ok(self)


def ssl_errors():
    import ssl
    return ssl.SSLError


if __name__ == "__main__":
    ct.main()
