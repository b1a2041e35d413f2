"""`columba history` in a real terminal (tmux send-keys / capture-pane): a
conversation in both directions, incoming on the left, outgoing on the
right edge of an 80-column pane, each with its time and status mark
(Delivered, Enqueued, Sending)."""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_test as h  # noqa: E402

ct = h.ct
USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"))
WIDTH = 80


class HistoryInTmux(ct.DaemonTestCase):
    def setUp(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (apt-get install tmux)")
        self.d = self.start(users=USERS)
        self.alice = h.Client(self, "alice")
        self.bob = h.Client(self, "bob")
        self.alice.login(self.d)
        self.bob.login(self.d)
        self.sock = "columba-test-%d" % os.getpid()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, timeout=20)

    def conversation(self):
        lb = self.bob.listen()
        la = self.alice.listen()
        r = self.alice.send("bob", "Hi bob")
        self.assertEqual(r.returncode, 0, r.stderr)
        la.wait("Delivered: message %s" % r.stdout.split()[1])
        r = self.bob.send("alice", "Hi alice, see you at 8")
        self.assertEqual(r.returncode, 0, r.stderr)
        la.wait("bob: Hi alice, see you at 8")
        lb.stop()
        r = self.alice.send("bob", "Are you there?")
        self.assertEqual(r.returncode, 0, r.stderr)
        la.stop()
        self.d.stop()
        r = self.alice.send("bob", "Still there?")
        self.assertEqual(r.returncode, 3, r.stderr)

    def test_history_conversation(self):
        self.conversation()
        env = ["%s=%s" % (k, self.alice.env[k]) for k in
               ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")]
        env += ["COLUMBA=" + h.COLUMBA, "PS1=$ ", "TERM=xterm"]
        r = self.tmux("new-session", "-d", "-s", "t", "-x", str(WIDTH), "-y", "30",
                      "env", "-i", "PATH=/usr/bin:/bin", *env, "sh")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(self.tmux, "kill-server")
        self.tmux("send-keys", "-t", "t", 'clear; "$COLUMBA" history bob; echo END-OF-HISTORY',
                  "Enter")
        deadline = time.monotonic() + 15
        while True:
            screen = self.tmux("capture-pane", "-p", "-t", "t").stdout
            if re.search(r"(?m)^END-OF-HISTORY$", screen):
                break
            self.assertLess(time.monotonic(), deadline, "history did not finish:\n" + screen)
            time.sleep(0.1)
        lines = [l.rstrip() for l in screen.splitlines()]
        sys.stderr.write("---- pane ----\n%s\n---- end ----\n" % "\n".join(lines))
        self.assertIn("Conversation with bob", lines)
        stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d"

        def right(text):
            """The line holding text, which must end at the right edge."""
            for l in lines:
                if l.endswith(text):
                    self.assertEqual(len(l), WIDTH, repr(l))
                    return lines.index(l)
            self.fail("no right-aligned line %r in\n%s" % (text, screen))

        # outgoing: the time and mark on one line, the text under it, both
        # against the right edge; incoming: the time, then "bob: text" at
        # the left edge
        i = right("Hi bob")
        self.assertRegex(lines[i - 1], r"^ +%s \[Delivered\]$" % stamp)
        j = lines.index("bob: Hi alice, see you at 8")
        self.assertRegex(lines[j - 1], r"^%s$" % stamp)
        k = right("Are you there?")
        self.assertRegex(lines[k - 1], r"^ +%s \[Enqueued\]$" % stamp)
        m = right("Still there?")
        self.assertRegex(lines[m - 1], r"^ +%s \[Sending\]$" % stamp)
        self.assertLess(i, j)
        self.assertLess(j, k)
        self.assertLess(k, m)


if __name__ == "__main__":
    ct.main()
