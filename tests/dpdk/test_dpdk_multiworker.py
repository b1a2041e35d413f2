"""Two dpdk workers on one port (issue 7): columbad with backend = dpdk and
server.workers = 2 on a two-queue net_tap, in a network namespace of its own
(the helpers of test_dpdk_backend.py).

net_tap gives one kernel tun queue per worker; the kernel spreads new flows
over the queues by their hash (and keeps a flow on the queue its replies
come from), so connections land on both workers, and each worker's stack
must know the kernel's MAC although the kernel's ARP request reached only
one queue: the stacks share what they learn (dataplane/net/arp_share.h).

Checks:
- CONNS concurrent HTTPS connections, each with REQUESTS keep-alive
  /healthz requests: every exchange completes;
- both workers established connections (/metrics' per-worker
  columba_net_tcp_established_total, and the closing worker_stats lines);
- the stacks asked for no neighbour: the port's one gratuitous ARP is the
  only request sent (a worker that missed the kernel's request took the
  kernel's MAC from the other), and pairs were shared
  (columba_net_arp_shared_total{event="applied"} > 0);
- /metrics on the admin listener (`*:port`, opened on worker 0 only) answers
  on fresh connections whichever queue they hash to, with the columba_net_*
  families (HELP and TYPE) and nonzero segment counts.

Needs root, /dev/net/tun and a DPDK build (COLUMBA_DPDK=1); exits 77 otherwise.
"""
import http.client
import os
import re
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import columba_test as ct  # noqa: E402
import test_dpdk_backend as tdb  # noqa: E402

WORKERS = 2
CONNS = 48
REQUESTS = 3
ADMIN_PORT = 18081  # a namespace of our own: nothing else listens there
METRICS_FETCHES = 12
FAMILIES = ("columba_net_frames_total", "columba_net_tcp_segments_total",
            "columba_net_tcp_opens_total", "columba_net_tcp_established_total",
            "columba_net_bursts_total", "columba_net_drops_total",
            "columba_net_tx_drops_total", "columba_net_tcp_retransmits_total",
            "columba_net_tcp_out_of_order_total", "columba_net_tcp_cookies_total",
            "columba_net_arp_total", "columba_net_arp_shared_total",
            "columba_net_port_packets_total")


def parse_metrics(text):
    """{(name, labels-string): value} of the samples in a Prometheus page."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-z_]+)(\{[^}]*\})? (\d+(?:\.\d+)?)$", line)
        if not m:
            raise AssertionError("bad metrics line: %r" % line)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


class MultiWorker(unittest.TestCase):

    def fetch_metrics(self):
        c = http.client.HTTPConnection(tdb.STACK_IP, ADMIN_PORT, timeout=20)
        try:
            c.request("GET", "/metrics", headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read().decode()
            self.assertEqual(r.status, 200, body)
            return body
        finally:
            c.close()

    def test_two_workers_serve(self):
        d = tdb.DpdkColumbad(workers=WORKERS,
                             sets=["http.admin=true", "http.admin_listen=*:%d" % ADMIN_PORT])
        self.addCleanup(d.close)
        self.assertIn("mode=rss workers=2 queues=2", d.log())

        done, errors = [], []

        def client(i):
            try:
                conn = d.https_connection()
                try:
                    for _ in range(REQUESTS):
                        conn.request("GET", "/healthz")
                        r = conn.getresponse()
                        body = r.read()
                        if r.status != 200 or b'"ok"' not in body:
                            raise AssertionError("conn %d: %d %r" % (i, r.status, body))
                        done.append(i)
                finally:
                    conn.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append("conn %d: %r" % (i, e))

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        elapsed = time.monotonic() - t0
        self.assertEqual(errors, [])
        self.assertEqual(len(done), CONNS * REQUESTS)

        # Fresh admin connections: each hashes to either queue.
        pages = [self.fetch_metrics() for _ in range(METRICS_FETCHES)]
        page = pages[-1]
        for fam in FAMILIES:
            self.assertIn("# HELP %s " % fam, page)
            self.assertIn("# TYPE %s counter" % fam, page)
        m = parse_metrics(page)
        est = [m[("columba_net_tcp_established_total", '{worker="%d"}' % w)]
               for w in range(WORKERS)]
        seg_in = [m[("columba_net_tcp_segments_total", '{worker="%d",dir="in"}' % w)]
                  for w in range(WORKERS)]
        sys.stderr.write("MultiWorker: %d connections x %d requests in %.2f s; "
                         "established per worker %s, segments in %s\n"
                         % (CONNS, REQUESTS, elapsed, est, seg_in))
        self.assertTrue(all(e > 0 for e in est), est)
        self.assertGreaterEqual(sum(est), CONNS + METRICS_FETCHES - 1)
        self.assertTrue(all(s > 0 for s in seg_in), seg_in)
        self.assertEqual(m[("columba_net_arp_total", '{event="requests_sent"}')], 1)
        self.assertGreater(m[("columba_net_arp_shared_total", '{event="applied"}')], 0)
        self.assertEqual(m[("columba_net_tx_drops_total", '{reason="ring_full"}')], 0)

        d.stop_ok(self)
        log = d.log()
        stats = re.findall(r"event=worker_stats worker=(\d+) .*tcp_established=(\d+)", log)
        self.assertEqual(sorted(int(w) for w, _ in stats), list(range(WORKERS)), log)
        self.assertTrue(all(int(n) > 0 for _, n in stats), stats)
        self.assertIn("event=listen_port_wide worker=1 port=%d" % ADMIN_PORT, log)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        del sys.argv[1]
        tdb.sh("ip", "link", "set", "lo", "up")
        ct.main()
    else:
        why = tdb.skip_reason()
        if why:
            print("SKIP: " + why)
            sys.exit(77)
        tdb.run_inner_in_netns(__file__)
