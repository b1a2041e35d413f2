"""A 202 is a promise (DESIGN.md §1-2, issue 4): messages acknowledged before
a SIGKILL are all found, enqueued, after a restart on the same state
directory. Three rounds on one state directory, each killing at another
point:

1. 4 keep-alive connections submit 50 messages each; SIGKILL right after
   the last 202.
2. 4 connections submit in a loop; SIGKILL once 150 have been acknowledged,
   with more submits in flight (only those that got a 202 count).
3. 4 connections each pipeline 50 submits in one write; SIGKILL after 120
   answers have been read (the rest are in flight or unread).

After each restart every id acknowledged so far (all rounds) is read back.
"""
import http.client
import json
import threading

import columba_test as ct

P = "/v1/messages"
CONNS = 4


class Durability(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(sets=["intake.submit_rate_per_min=6000000",
                                  "intake.submit_burst=1000000"],
                            users=[("alice", "alice-pw"), ("bob", "bob-pw")], tokens=["alice"])
        self.a = self.d.tokens["alice"]
        self.acked = []  # ids that got a 202, all rounds
        self.lock = threading.Lock()

    def record(self, r):
        """Note a 202's id; returns how many were acknowledged in all."""
        self.assertEqual(r.status, 202, r)
        body = r.json()
        self.assertEqual(body["status"], "enqueued")
        with self.lock:
            self.acked.append(body["id"])
            return len(self.acked)

    def verify_after_restart(self):
        d = self.d
        d.restart()
        self.assertEqual(len(set(self.acked)), len(self.acked), "an id was given twice")
        missing, wrong = [], []
        conn = d.https_connection()
        for mid in self.acked:
            r = d.api("GET", P + "/" + mid, token=self.a, conn=conn)
            if r.status == 404:
                missing.append(mid)
            elif r.status != 200 or r.json()["status"] != "enqueued":
                wrong.append((mid, r))
        conn.close()
        self.assertEqual(missing, [], "%d of %d acknowledged messages lost"
                         % (len(missing), len(self.acked)))
        self.assertEqual(wrong, [])

    def run_threads(self, target):
        threads = [threading.Thread(target=target, args=(k,)) for k in range(CONNS)]
        for t in threads:
            t.start()
        return threads

    def test_sigkill_rounds(self):
        d = self.d
        # ---- round 1: kill right after the last 202 ----
        errors = []

        def sequential(k):
            try:
                conn = d.https_connection()
                for i in range(50):
                    self.record(d.submit(self.a, "bob", "round 1 conn %d msg %d" % (k, i),
                                         conn=conn))
                conn.close()
            except Exception as e:  # reported below, in the main thread
                errors.append(e)

        for t in self.run_threads(sequential):
            t.join()
        d.kill9()
        self.assertEqual(errors, [])
        self.assertEqual(len(self.acked), 200)
        self.verify_after_restart()

        # ---- round 2: kill with submits in flight ----
        n0 = len(self.acked)
        reached = threading.Event()
        stop = threading.Event()

        def looping(k):
            try:
                conn = d.https_connection()
                i = 0
                while not stop.is_set():
                    r = d.submit(self.a, "bob", "round 2 conn %d msg %d" % (k, i), conn=conn)
                    i += 1
                    if self.record(r) - n0 >= 150:
                        reached.set()
            except (OSError, http.client.HTTPException):
                pass  # the kill: this submit has no answer, so it does not count
            except Exception as e:  # a wrong answer: reported below
                errors.append(e)

        threads = self.run_threads(looping)
        self.assertTrue(reached.wait(60), "150 submits not acknowledged in 60 s")
        d.kill9()
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(len(self.acked) - n0, 150)
        self.verify_after_restart()

        # ---- round 3: pipelined submits, kill after 120 answers read ----
        n0 = len(self.acked)
        streams = []
        for k in range(CONNS):
            s = d.tls_stream()
            reqs = b"".join(ct.request_bytes(
                "POST", P, headers=[("Authorization", "Bearer " + self.a),
                                    ("Content-Type", "application/json")],
                body=json.dumps({"to": "bob", "text": "round 3 conn %d msg %d" % (k, i)}).encode())
                for i in range(50))
            s.send(reqs)
            streams.append(s)
        read = 0
        while read < 120:
            for s in streams:
                r = s.read_response(timeout=30)
                self.record(r)
                read += 1
        d.kill9()
        for s in streams:
            s.close()
        self.assertEqual(len(self.acked) - n0, 120)
        self.verify_after_restart()
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
