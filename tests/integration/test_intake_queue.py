"""The recipient's queue depth (issue 4): past [intake] queue_depth parked
messages for one recipient, submits to them get 503 recipient_queue_full
with Retry-After and nothing is enqueued; other recipients are unaffected."""
import time

import columba_test as ct
import test_openapi as oa


class QueueDepth(ct.DaemonTestCase):
    def test_full_queue_is_503(self):
        d = self.start(users=[("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")],
                       tokens=["alice"], sets=["intake.queue_depth=3"])
        tok = d.tokens["alice"]
        ids = []
        for i in range(3):
            r = d.submit(tok, "bob", "waiting %d" % i)
            self.assertEqual(r.status, 202, r)
            ids.append(r.json()["id"])
        m0 = d.metrics()
        r = d.submit(tok, "bob", "one too many")
        self.assertEqual((r.status, r.error), (503, "recipient_queue_full"), r)
        self.assertTrue(r.header("Retry-After"), r)
        oa.check_response(self, "post", "/v1/messages", r)
        m1 = d.metrics()
        self.assertEqual(m1["columba_messages_accepted_total"],
                         m0["columba_messages_accepted_total"])
        self.assertEqual(m1['columba_messages_rejected_total{reason="recipient_queue_full"}'], 1)
        # /metrics shows the waiting messages once the store has committed
        # (every [store] commit_interval_us).
        for _ in range(100):
            if d.metrics().get("columba_queue_depth", 0) >= 3:
                break
            time.sleep(0.05)
        self.assertEqual(d.metrics()["columba_queue_depth"], 3)
        # Another recipient still gets messages.
        self.assertEqual(d.submit(tok, "carol", "hello carol").status, 202)
        # The three waiting ones are intact.
        for mid in ids:
            g = d.api("GET", "/v1/messages/" + mid, token=tok)
            self.assertEqual((g.status, g.json()["status"]), (200, "enqueued"), g)


if __name__ == "__main__":
    ct.main()
