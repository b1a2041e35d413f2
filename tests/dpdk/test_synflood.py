"""A SYN flood at columbad's own TCP/IP stack (the dpdk backend on net_tap),
issue 7's acceptance: established connections keep working and new
legitimate ones still connect.

In a network namespace of its own (as test_dpdk_backend.py, whose helpers
it imports): columbad with backend = dpdk on a tap, the stack at
198.18.7.2/24 with the kernel's 198.18.7.1 as its gateway. First one TLS
connection with keep-alive; then synflood (tests/dpdk/synflood.c) writes
spoofed SYNs from random addresses in 198.19.0.0/16 (routed back through
the kernel side, which drops the SYN-ACKs: nobody there answers) and random
ports to the HTTPS port, as fast as it can for FLOOD_SECONDS. The first 256
fill the SYN backlog (their SYN-RCVD blocks live 63 s, longer than this
test); every SYN after that, the legitimate ones included, is answered with
a SYN cookie. During the flood the kept-alive connection must answer
/healthz every time and 20 new curl connections must all succeed.

Cookies are counted on the wire: synflood reads the stack's SYN-ACKs on the
tap and counts those with a cookie's ISN (see synflood.c), both to its own
spoofed SYNs and to the curls' address. Where columbad's worker_stats log
line carries tcp_cookies_sent (the stack's counter), that is checked too.

Needs root, /dev/net/tun, a DPDK build (COLUMBA_DPDK=1) and SYNFLOOD (the
tool's path, from meson); exits 77 otherwise.
"""
import json
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import columba_test as ct  # noqa: E402
import test_dpdk_backend as tdb  # noqa: E402

SYNFLOOD = os.environ.get("SYNFLOOD", "")
# RFC 2544's range too, off the tap's /24 (COLUMBA_SYNFLOOD_NET=198.18.7.0/24
# floods from the tap's own subnet instead: the stack then ARPs for each).
FLOOD_NET = os.environ.get("COLUMBA_SYNFLOOD_NET", "198.19.0.0/16")
FLOOD_SECONDS = 8.0
CURLS = 20
CURL_START_S = 1.0            # into the flood: the backlog is full by then
# Above the stack's SYN backlog (256): with a table no larger than the
# backlog, half-open blocks fill it and no cookie is ever sent (the SYN is
# dropped, tcp_drop_no_memory). COLUMBA_SYNFLOOD_MAX_CONNS=256 shows that.
MAX_CONNS = int(os.environ.get("COLUMBA_SYNFLOOD_MAX_CONNS", "1024"))


def link_info(ifname):
    """`ip -j -s link show` of @ifname: netlink answers for this network
    namespace (/sys/class/net would show the parent's, as unshare --net
    does not remount /sys)."""
    r = tdb.sh("ip", "-j", "-s", "link", "show", "dev", ifname)
    return json.loads(r.stdout)[0]


def read_stat(ifname, name):
    """tx_packets, tx_dropped, ... of @ifname."""
    direction, _, field = name.partition("_")
    return int(link_info(ifname)["stats64"][direction][field])


def stack_mac():
    """The port's MAC as the kernel resolved it (the tap's own otherwise)."""
    r = tdb.sh("ip", "neigh", "show", tdb.STACK_IP, "dev", tdb.DPDK_IF, check=False)
    m = re.search(r"lladdr ([0-9a-f:]{17})", r.stdout)
    if m:
        return m.group(1)
    return link_info(tdb.DPDK_IF)["address"]


class SynFlood(unittest.TestCase):

    def test_flood(self):
        # The 10 s handshake and header timeouts are a policy against slow
        # clients (test_timeouts.py covers them). Here the flood saturates
        # the worker (an ASan build most of all), the tap drops frames and a
        # legitimate handshake's segments come back after 1 + 2 + 4 + 8 s of
        # retransmission backoff: the test asks whether it gets in, so the
        # policy waits longer than the curls' own limit.
        d = tdb.DpdkColumbad(sets=["dpdk.gateway=" + tdb.KERNEL_IP,
                                   "dpdk.max_connections=%d" % MAX_CONNS,
                                   "tls.handshake_timeout_ms=45000",
                                   "http.header_timeout_ms=45000"])
        self.addCleanup(d.close)
        try:
            self.flood(d)
        except BaseException:
            sys.stderr.write("---- columbad log ----\n%s---- end ----\n" % d.log()[-20000:])
            raise

    def flood(self, d):
        keep = d.https_connection()
        self.addCleanup(keep.close)
        r = d.api("GET", "/healthz", conn=keep)
        self.assertEqual(r.status, 200, r)

        tx0 = read_stat(tdb.DPDK_IF, "tx_packets")
        drop0 = read_stat(tdb.DPDK_IF, "tx_dropped")
        curls = []
        t0 = time.monotonic()
        flooder = subprocess.Popen(
            [SYNFLOOD, tdb.DPDK_IF, stack_mac(), tdb.STACK_IP, str(d.port), FLOOD_NET,
             str(FLOOD_SECONDS), tdb.KERNEL_IP, "7"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(CURL_START_S)
            url = "https://localhost:%d/healthz" % d.port
            curls += [subprocess.Popen(
                ["curl", "-sS", "--cacert", d.cert, "--max-time", "40",
                 "--resolve", "localhost:%d:%s" % (d.port, tdb.STACK_IP),
                 "-w", "\\n%{http_code} %{time_connect} %{time_total}\\n", url],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(CURLS)]
            # The kept-alive connection, all through the flood.
            kept = []
            while time.monotonic() - t0 < FLOOD_SECONDS and flooder.poll() is None:
                t = time.monotonic()
                r = d.api("GET", "/healthz", conn=keep)
                self.assertEqual(r.status, 200, r)
                kept.append(time.monotonic() - t)
                time.sleep(0.2)
            results = []
            for c in curls:
                o, e = c.communicate(timeout=60)
                results.append((c.returncode, o, e))
            curl_end = time.monotonic() - t0
            # synflood counts answers until its stdin closes: the curls'
            # SYN-ACKs after the flood (retransmitted SYNs) are in too.
            out, err = flooder.communicate(input="", timeout=30)
        finally:
            if flooder.poll() is None:
                flooder.kill()
                flooder.wait()
            for c in curls:
                if c.poll() is None:
                    c.kill()
                    c.wait()
        self.assertEqual(flooder.returncode, 0, err)
        tx = read_stat(tdb.DPDK_IF, "tx_packets") - tx0
        dropped = read_stat(tdb.DPDK_IF, "tx_dropped") - drop0
        m = re.search(r"^synflood .*$", out, re.M)
        self.assertIsNotNone(m, out)
        f = {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", m.group(0))}
        ok = [o for rc, o, _ in results if rc == 0 and '{"status":"ok"}' in o
              and "\n200 " in o]
        times = sorted(float(o.strip().split()[-1]) for o in ok)
        # Started CURL_START_S into the flood; ended before it did?
        during = sum(1 for t in times if CURL_START_S + t < f["seconds"])
        connects = sorted(float(o.strip().split()[-2]) for o in ok)

        # After the flood: the kept connection still answers.
        r = d.api("GET", "/healthz", conn=keep)
        self.assertEqual(r.status, 200, r)
        keep.close()
        rc = d.stop()
        log = d.log()
        rep = ct.sanitizer_report(log)
        ws = re.search(r"event=worker_stats .*", log)
        sys.stderr.write(
            "flood: %d SYNs in %.2f s = %.0f SYN/s into the tap (%d more refused: its "
            "queue was full); the port read %d frames (%.0f/s), the tap dropped %d\n"
            "answers seen: %d SYN-ACKs to spoofed sources, %d shaped as cookies; to the "
            "clients: %d SYN-ACKs, %d cookies (rx frames %d, capture drops %d)\n"
            "kept-alive connection: %d requests during the flood, slowest %.3f s\n"
            "curl: %d/%d ok (%d of them done before the flood ended), connect %s s, "
            "total %s s; all done %.1f s after the flood began\n"
            "%s\n"
            % (f["sent"], f["seconds"], f["pps"], f["refused"], tx, tx / f["seconds"],
               dropped, f["synacks"], f["cookies"], f["watch_synacks"], f["watch_cookies"],
               f["rx_frames"], f["rx_dropped"], len(kept), max(kept) if kept else 0,
               len(ok), CURLS, during,
               "%.3f..%.3f" % (connects[0], connects[-1]) if connects else "-",
               "%.3f..%.3f" % (times[0], times[-1]) if times else "-", curl_end,
               ws.group(0) if ws else "no worker_stats"))
        self.assertEqual(rc, 0, log)
        self.assertIn("event=stopped status=0", log)
        self.assertIsNone(rep, log)

        # Every request above answered 200; at least two ran in the flood.
        self.assertGreaterEqual(len(kept), 2, "the kept connection hardly ran")
        self.assertEqual(len(ok), CURLS, "failed curls: %r" % [
            (rc, o, e) for rc, o, e in results if not (rc == 0 and "\n200 " in o)])
        self.assertLess(f["seconds"], FLOOD_SECONDS + 1)
        # Cookies: nearly every answer to the flood (after the first 256
        # SYNs and their SYN-RCVD retransmissions) has a cookie's shape,
        # and so had the answers to the curls' SYNs.
        self.assertGreater(f["synacks"], 1000)
        self.assertGreater(f["cookies"], 0.9 * (f["synacks"] - 256 * 4))
        self.assertGreaterEqual(f["watch_cookies"], CURLS)
        m = re.search(r"tcp_cookies_sent=(\d+)", log)
        if m:
            self.assertGreaterEqual(int(m.group(1)), f["cookies"])


def skip_reason():
    why = tdb.skip_reason()
    if why:
        return why
    if not SYNFLOOD or not os.access(SYNFLOOD, os.X_OK):
        return "SYNFLOOD is not set"
    return None


def outer():
    """Run this file inside a new network namespace."""
    why = skip_reason()
    if why:
        print("SKIP: " + why)
        sys.exit(77)
    tdb.run_inner_in_netns(__file__)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        del sys.argv[1]
        tdb.sh("ip", "link", "set", "lo", "up")
        ct.main()
    else:
        outer()
