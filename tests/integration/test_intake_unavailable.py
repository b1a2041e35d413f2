"""503 when the store cannot make a message durable (issue 4): the state
directory on a small tmpfs, filled to the last byte; a submit gets 503
unavailable with Retry-After and nothing is enqueued; once space is freed,
submits get 202 again, and every acknowledged message survives a restart.

Needs root (mount -t tmpfs); skipped otherwise.
"""
import errno
import os
import subprocess
import tempfile
import time

import columba_test as ct
import test_openapi as oa

P = "/v1/messages"


def fill(path):
    """Write to path until the file system is full (ENOSPC)."""
    chunk = b"\x5a" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            while True:
                try:
                    os.write(fd, chunk[:size])
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)


class Unavailable(ct.DaemonTestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs for the state directory")
        self.mnt = tempfile.mkdtemp(prefix="columba-itest-tmpfs-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", self.mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs: " + r.stderr.strip())
        self.addCleanup(self._umount)

    def _umount(self):
        subprocess.run(["umount", "-l", self.mnt], capture_output=True)
        os.rmdir(self.mnt)

    def test_disk_full_503(self):
        state = os.path.join(self.mnt, "state")
        d = self.start(state_dir=state, sets=["store.map_size_mb=16",
                                              "intake.submit_rate_per_min=6000000",
                                              "intake.submit_burst=1000000"],
                       users=[("alice", "alice-pw"), ("bob", "bob-pw")], tokens=["alice"])
        a = d.tokens["alice"]
        conn = d.https_connection()
        before = []
        for i in range(5):
            r = d.submit(a, "bob", "before the disk filled up %d" % i, conn=conn)
            self.assertEqual(r.status, 202, r)
            before.append(r.json()["id"])
        ballast = os.path.join(self.mnt, "ballast")
        fill(ballast)
        m0 = d.metrics()
        # The next submits cannot be made durable: 503 + Retry-After. The WAL
        # segment is preallocated and LMDB may still reuse free pages, so the
        # first submits can get through; once either needs a new block (a
        # few hundred KiB at most), the store must say 503.
        got503 = None
        after_fill = []
        big = "\U0001F4BE" * 150  # 600 bytes
        for i in range(3000):
            r = d.submit(a, "bob", "%d %s" % (i, big), conn=conn)
            if r.status == 202:
                after_fill.append(r.json()["id"])
                continue
            got503 = r
            break
        self.assertIsNotNone(got503, "3000 submits on a full disk, never a 503")
        self.assertEqual((got503.status, got503.error), (503, "unavailable"), got503)
        self.assertGreaterEqual(int(got503.header("Retry-After")), 1)
        oa.check_response(self, "post", P, got503)
        # Still unavailable: each answer 503, none a 202 or another error.
        for i in range(5):
            r = d.submit(a, "bob", "still full %d" % i, conn=conn)
            self.assertEqual((r.status, r.error), (503, "unavailable"), r)
            self.assertIsNotNone(r.header("Retry-After"))
        m1 = d.metrics()
        self.assertEqual(m1["columba_messages_accepted_total"] - m0["columba_messages_accepted_total"],
                         len(after_fill))
        self.assertGreaterEqual(m1['columba_messages_rejected_total{reason="unavailable"}'], 6)
        # The WAL segment is preallocated, so the failure may come from the WAL
        # or from the LMDB commit behind it; either way the store says so.
        # LMDB reports a page write into a full tmpfs as ENOSPC, or as EIO
        # when the kernel fails the flush: both are the full disk here.
        self.assertRegex(d.log(), r"event=store_unavailable err=-(28|5) ")
        # Free the space: within a bounded time the store probes again and
        # submits get 202 (the store's retry interval is 500 ms).
        os.unlink(ballast)
        deadline = time.monotonic() + 20
        while True:
            r = d.submit(a, "bob", "after the space came back", conn=conn)
            if r.status == 202:
                break
            self.assertEqual((r.status, r.error), (503, "unavailable"), r)
            self.assertLess(time.monotonic(), deadline, "still 503 long after space was freed")
            time.sleep(0.1)
        after = [r.json()["id"]]
        for i in range(3):
            r = d.submit(a, "bob", "again %d" % i, conn=conn)
            self.assertEqual(r.status, 202, r)
            after.append(r.json()["id"])
        conn.close()
        # Everything acknowledged is there, after a clean restart too.
        d.stop_ok(self)
        d.restart()
        conn = d.https_connection()
        for mid in before + after_fill + after:
            r = d.api("GET", P + "/" + mid, token=a, conn=conn)
            self.assertEqual((r.status, r.json()["status"]), (200, "enqueued"), mid)
        conn.close()
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
