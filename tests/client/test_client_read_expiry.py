"""Read expiry (issue 6, shrunk to 1.5 s): a received message is read when
first displayed (listen printing it); 15 min (here 1.5 s) later its text is
gone from the screen ("Message received") and from the client's files: the
LMDB file never held it in clear, and its text key slot is zeroed, so no
sealed copy left in LMDB's free pages can be opened. The sender's copy
reads "Message sent" under the same rule once delivered and displayed."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_test as h  # noqa: E402

ct = h.ct
USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"))
EXPIRY = {"COLUMBA_TEST_READ_EXPIRY_MS": "1500"}
TEXT = "the eagle lands at dawn"


def live_slots(client):
    """Number of non-zero 32-byte text-key slots in the client's slots file."""
    b = client.slots_bytes()
    return sum(1 for i in range(0, len(b), 32) if any(b[i:i + 32]))


class ReadExpiry(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start(users=USERS)
        self.alice = h.Client(self, "alice", env=EXPIRY)
        self.bob = h.Client(self, "bob", env=EXPIRY)
        self.alice.login(self.d)
        self.bob.login(self.d)

    def wait_for(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not pred():
            self.assertLess(time.monotonic(), deadline, "condition not met in time")
            time.sleep(0.1)

    def test_received_text_expires_after_reading(self):
        lb = self.bob.listen()
        la = self.alice.listen()
        r = self.alice.send("bob", TEXT)
        self.assertEqual(r.returncode, 0, r.stderr)
        mid = r.stdout.split()[1]
        lb.wait("alice: " + TEXT)          # displayed: read now
        la.wait("Delivered: message " + mid)
        self.assertEqual(live_slots(self.bob), 1)
        self.assertNotIn(TEXT.encode(), self.bob.store_bytes())  # sealed at rest
        # the sender displays its delivered copy: its clock starts too
        out = self.alice.run(["history", "bob"]).stdout
        self.assertIn(TEXT, out)
        self.assertIn("[Delivered]", out)
        t_read = time.monotonic()
        # before the expiry the recipient still reads it
        out = self.bob.run(["history", "alice"]).stdout
        if time.monotonic() - t_read < 1.0:
            self.assertIn("alice: " + TEXT, out)
        # after it: gone from the screen and from the files
        self.wait_for(lambda: live_slots(self.bob) == 0)
        out = self.bob.run(["history", "alice"]).stdout
        self.assertIn("alice: Message received", out)
        self.assertNotIn(TEXT, out)
        self.assertNotIn(TEXT.encode(), self.bob.store_bytes())
        self.wait_for(lambda: live_slots(self.alice) == 0)
        out = self.alice.run(["history", "bob"]).stdout
        self.assertIn("Message sent", out)
        self.assertNotIn(TEXT, out)
        self.assertNotIn(TEXT.encode(), self.alice.store_bytes())
        # the statuses stay
        self.assertIn("[Delivered]", out)

    def test_unread_text_stays(self):
        # alice's copy is not Delivered yet (bob offline): displaying it does
        # not start its clock; it keeps its text past the expiry
        r = self.alice.send("bob", TEXT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(TEXT, self.alice.run(["history"]).stdout)
        time.sleep(2.0)
        out = self.alice.run(["history"]).stdout
        self.assertIn(TEXT, out)
        self.assertIn("[Enqueued]", out)
        self.assertEqual(live_slots(self.alice), 1)


if __name__ == "__main__":
    ct.main()
