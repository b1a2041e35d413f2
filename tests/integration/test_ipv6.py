"""IPv6: the default "*:port" listen address also serves [::1] (skipped without ::1)."""
import subprocess
import unittest

import columba_test as ct


@unittest.skipUnless(ct.have_ipv6_loopback(), "no IPv6 loopback (::1) on this host")
@ct.skip_on_dpdk("the stack has no IPv6 yet (docs/dpdk.md)")
class Ipv6(ct.DaemonTestCase):
    def test_star_listens_on_v6_and_v4(self):
        d = self.start(listen_host="*")
        self.assertNotIn("ipv6_listen_failed", d.log())
        r = subprocess.run(["curl", "-sS", "-g", "--cacert", d.cert, "--max-time", "20",
                            "https://[::1]:%d/healthz" % d.port],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '{"status":"ok"}\n')
        # The dev certificate names ::1: Python verifies it too.
        s = d.tls_stream(host="::1")
        s.send(ct.request_bytes(host="[::1]:%d" % d.port))
        self.assertEqual(s.read_response().status, 200)
        s.close()
        s = d.tls_stream(host="127.0.0.1")
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()
        d.stop_ok(self)

    def test_v6_only_address(self):
        d = self.start(listen_host="[::1]", wait=True)
        s = d.tls_stream(host="::1")
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()
        with self.assertRaises(ConnectionRefusedError):
            d.tls_stream(host="127.0.0.1")
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
