"""baresip (Debian's baresip-core) against columbad (issue 5, "Real clients").

Each user agent is a baresip process with a configuration this test writes:
SIP over TLS to columbad as outbound proxy, the development certificate as
the only CA, digest credentials, no audio, driven through the ctrl_tcp module
(JSON in netstrings), received messages printed by the menu module through
the stdio UI, and every SIP message traced on its output (-s).
Checked: both register (baresip's "200 OK [1 binding]" line and columbad's
event=registered); a message submitted with curl reaches alice's baresip and
its status becomes "delivered"; alice sends a MESSAGE through baresip, gets
202, bob's baresip receives it and alice gets its delivery notification; a
user who registers after the submit gets the message then; a user with two
registered devices gets it on both.
Legacy digest: see README.md ([sip] digest_algorithms).
"""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_util as iu  # noqa: E402

ct = iu.ct
DOMAIN = "columba.test"
USERS = (("alice", "alice-interop-pw"), ("bob", "bob-interop-pw"), ("carol", "carol-interop-pw"),
         ("dave", "dave-interop-pw"))
MODULE_DIRS = ("/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules",
               "/usr/lib/x86_64-linux-gnu/baresip/modules")


def module_dir():
    for d in MODULE_DIRS:
        if os.path.exists(os.path.join(d, "ctrl_tcp.so")):
            return d
    return None


class Baresip:
    """One baresip process for one account, with its ctrl_tcp connection."""

    def __init__(self, d, user, password, contact_user, workdir, name=None):
        """name: this instance's directory and log name (default: user)."""
        self.user = user
        name = name or user
        self.dir = os.path.join(workdir, "baresip-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.ctrl_port = ct.free_port()
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("poll_method\t\tepoll\n"
                    "net_interface\t\t127.0.0.1\n"
                    "dns_server\t\t127.0.0.1:53\n"
                    "sip_listen\t\t127.0.0.1:0\n"
                    "sip_cafile\t\t%s\n"
                    "sip_trans_def\t\ttls\n"
                    "module_path\t\t%s\n"
                    "module\t\t\tstdio.so\n"
                    "module\t\t\tctrl_tcp.so\n"
                    "module_app\t\taccount.so\n"
                    "module_app\t\tcontact.so\n"
                    "module_app\t\tmenu.so\n"
                    "ctrl_tcp_listen\t\t127.0.0.1:%d\n"
                    % (d.cert, module_dir(), self.ctrl_port))
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write('<sip:%s@%s;transport=tls>;auth_pass=%s;'
                    'outbound="sip:127.0.0.1:%d;transport=tls";regint=600;answermode=manual\n'
                    % (user, DOMAIN, password, d.sip_port))
        # The contact module's /message sends to the current contact: the only one.
        with open(os.path.join(self.dir, "contacts"), "w") as f:
            f.write('"%s" <sip:%s@%s>\n' % (contact_user, contact_user, DOMAIN))
        self.child = iu.Child(["baresip", "-f", self.dir, "-s"],
                              os.path.join(workdir, "baresip-%s.out" % name), stdin_pipe=True)
        self.events = []  # ctrl_tcp events read while waiting for an answer
        self.buf = b""
        self.sock = None
        try:
            self.sock = iu.wait_for("baresip %s's ctrl_tcp port" % user, self._connect)
        except BaseException:
            self.child.stop()
            raise

    def _connect(self):
        if self.child.proc.poll() is not None:
            raise AssertionError("baresip exited (%s):\n%s"
                                 % (self.child.proc.returncode, self.child.output()))
        try:
            return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=2.0)
        except OSError:
            return None

    def _read_netstring(self, timeout):
        """One JSON object from ctrl_tcp (netstring framed), or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.match(rb"(\d+):", self.buf)
            if m:
                n = int(m.group(1))
                start = m.end()
                if len(self.buf) >= start + n + 1:
                    data = self.buf[start:start + n]
                    self.buf = self.buf[start + n + 1:]
                    return json.loads(data.decode("utf-8", "replace"))
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise AssertionError("baresip %s closed ctrl_tcp" % self.user)
            self.buf += chunk

    def command(self, cmd, params=None):
        """Run a command; return its response object (events meanwhile are kept)."""
        token = "t%d" % time.monotonic_ns()
        req = {"command": cmd, "token": token}
        if params is not None:
            req["params"] = params
        raw = json.dumps(req).encode()
        self.sock.sendall(b"%d:%s," % (len(raw), raw))
        deadline = time.monotonic() + iu.WAIT
        while time.monotonic() < deadline:
            obj = self._read_netstring(deadline - time.monotonic())
            if obj is None:
                break
            if obj.get("response") and obj.get("token") == token:
                return obj
            self.events.append(obj)
        raise AssertionError("no ctrl_tcp answer to %r from baresip %s" % (cmd, self.user))

    def output(self):
        return self.child.output()

    def wait_registered(self):
        """Wait for baresip's "<aor>: {0/TLS/v4} 200 OK () [1 binding]" line
        (it registers at start, before ctrl_tcp has a client to tell)."""
        return self.child.wait_output(r"(?m)^%s@%s: \{\d+/TLS/v4\} 200 OK"
                                      % (re.escape(self.user), re.escape(DOMAIN)))

    def wait_received(self, from_user, text):
        """Wait for the menu module's line for a received MESSAGE,
        'sips:<from>@<domain>: "<text>"' (printed through the stdio UI)."""
        return self.child.wait_output(r'(?m)^\r?sips?:%s@%s: "%s"\s*$'
                                      % (re.escape(from_user), re.escape(DOMAIN), re.escape(text)))

    def sip_trace(self):
        """The SIP messages in baresip's -s trace, as (direction line, text) pairs."""
        out = []
        parts = re.split(r"\n(TLS \S+ -> \S+)\n", self.output())
        for i in range(1, len(parts) - 1, 2):
            out.append((parts[i], parts[i + 1]))
        return out

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.child.stop()


def trace_messages(ua, start_line, cseq_method):
    """Trace entries of ua whose first line starts with start_line and whose
    CSeq method is cseq_method."""
    rx = re.compile(r"^CSeq:\s*\d+\s+%s\s*$" % cseq_method, re.M | re.I)
    return [t for _, t in ua.sip_trace() if t.startswith(start_line) and rx.search(t)]


class BaresipInterop(ct.DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = ct.Columbad(users=USERS, tokens=[u for u, _ in USERS],
                            sets=["server.domain=" + DOMAIN, "server.log_level=debug"]
                            + iu.digest_sets())
        cls.uas = {}
        try:
            for user, peer in (("alice", "bob"), ("bob", "alice")):
                cls.uas[user] = Baresip(cls.d, user, dict(USERS)[user], peer,
                                        cls.d.tmp)
            for ua in cls.uas.values():
                ua.wait_registered()
            cls.d.wait_log(r"event=registered ", count=2, timeout=iu.WAIT)
        except BaseException:
            cls._teardown(print_logs=True)
            raise

    @classmethod
    def _teardown(cls, print_logs=False):
        print_logs = print_logs or bool(os.environ.get("INTEROP_VERBOSE"))
        for ua in cls.uas.values():
            ua.close()
            if print_logs:
                sys.stderr.write("---- baresip %s ----\n%s\n" % (ua.user, ua.output()[-6000:]))
        cls.uas = {}
        try:
            rc = cls.d.stop()
            rep = ct.sanitizer_report(cls.d.log())
            if print_logs or rc != 0 or rep:
                sys.stderr.write("---- columbad ----\n%s\n" % cls.d.log())
            assert rc == 0, "columbad exit code %d" % rc
            assert rep is None, rep
        finally:
            cls.d.close()

    @classmethod
    def tearDownClass(cls):
        cls._teardown()

    def dump(self, msg):
        self.fail("%s\n---- alice ----\n%s\n---- bob ----\n%s\n---- columbad ----\n%s"
                  % (msg, self.uas["alice"].output()[-5000:], self.uas["bob"].output()[-5000:],
                     self.d.log()[-5000:]))

    def test_registered_over_tls_with_digest(self):
        for user, ua in self.uas.items():
            ok = trace_messages(ua, "SIP/2.0 200", "REGISTER")
            self.assertTrue(ok, "no 200 to %s's REGISTER" % user)
            challenged = trace_messages(ua, "SIP/2.0 401", "REGISTER")
            self.assertTrue(challenged, "%s registered without a challenge" % user)
            regs = trace_messages(ua, "REGISTER ", "REGISTER")
            self.assertTrue(any(re.search(r"^Authorization: Digest username=\"%s\"" % user,
                                          r, re.M) for r in regs), regs)
            self.assertRegex(ok[-1], r"(?m)^Expires: 600\s*$")
        self.assertRegex(self.d.log(), r"event=registered flow=\S+ expires_s=600")

    def test_receives_message_submitted_with_curl(self):
        text = "interop curl to alice %s" % os.urandom(4).hex()
        st, j = iu.submit_with_curl(self.d, self.d.tokens["bob"], "alice", text)
        self.assertEqual(st, 202, j)
        alice = self.uas["alice"]
        try:
            alice.wait_received("bob", text)
        except AssertionError as e:
            self.dump(str(e))
        msgs = [m for m in trace_messages(alice, "MESSAGE ", "MESSAGE") if text in m]
        self.assertEqual(len(msgs), 1, msgs)
        self.assertRegex(msgs[0], r"(?mi)^From:\s*<sips?:bob@%s>" % re.escape(DOMAIN))
        self.assertRegex(msgs[0], r"(?mi)^To:\s*<sips?:alice@%s>" % re.escape(DOMAIN))
        self.assertRegex(msgs[0], r"(?mi)^Content-Type:\s*text/plain")
        call_id = re.search(r"(?mi)^Call-ID:\s*(\S+)", msgs[0]).group(1)
        answers = [m for m in trace_messages(alice, "SIP/2.0 200", "MESSAGE")
                   if re.search(r"(?mi)^Call-ID:\s*%s\s*$" % re.escape(call_id), m)]
        self.assertTrue(answers, "baresip did not answer 200 to the MESSAGE")
        try:
            iu.wait_status(self, self.d, self.d.tokens["bob"], j["id"])
        except AssertionError as e:
            self.dump(str(e))

    def test_sends_message_over_sip(self):
        text = "interop baresip to bob %s" % os.urandom(4).hex()
        alice, bob = self.uas["alice"], self.uas["bob"]
        r = alice.command("message", text)
        self.assertTrue(r.get("ok"), r)
        try:
            bob.wait_received("alice", text)
        except AssertionError as e:
            self.dump(str(e))
        sent = [m for m in trace_messages(alice, "MESSAGE ", "MESSAGE") if text in m]
        self.assertEqual(len(sent), 1, sent)
        call_id = re.search(r"(?mi)^Call-ID:\s*(\S+)", sent[0]).group(1)

        def answer():
            return [m for m in trace_messages(alice, "SIP/2.0 ", "MESSAGE")
                    if re.search(r"(?mi)^Call-ID:\s*%s\s*$" % re.escape(call_id), m)]
        got = iu.wait_for("the answer to alice's MESSAGE", answer)
        self.assertTrue(got[-1].startswith("SIP/2.0 202"), got)
        mid = re.search(r"(?mi)^X-Columba-Message-Id:\s*(\S+)", got[-1]).group(1)
        received = [m for m in trace_messages(bob, "MESSAGE ", "MESSAGE") if text in m]
        self.assertEqual(len(received), 1, received)
        self.assertRegex(received[0], r"(?mi)^From:\s*<sips?:alice@%s>" % re.escape(DOMAIN))
        # The sender sees it delivered, by status and by a delivery
        # notification on its flow (baresip 1.0 takes text/plain only and
        # answers the message/imdn+xml one 415: columbad just records that).
        iu.wait_status(self, self.d, self.d.tokens["alice"], mid)

        def notification():
            return [m for m in trace_messages(alice, "MESSAGE ", "MESSAGE")
                    if "<message-id>%s</message-id>" % mid in m]
        imdn = iu.wait_for("alice's delivery notification for %s" % mid, notification)
        self.assertEqual(len(imdn), 1, imdn)
        self.assertRegex(imdn[0], r"(?mi)^Content-Type:\s*message/imdn\+xml")
        self.assertIn("<delivered/>", imdn[0])
        self.assertRegex(imdn[0], r"(?mi)^To:\s*<sips?:alice@%s>" % re.escape(DOMAIN))

    def test_offline_user_gets_message_on_register(self):
        text = "interop offline carol %s" % os.urandom(4).hex()
        st, j = iu.submit_with_curl(self.d, self.d.tokens["alice"], "carol", text)
        self.assertEqual(st, 202, j)
        self.assertEqual(self.d.api("GET", "/v1/messages/" + j["id"],
                                    token=self.d.tokens["alice"]).json()["status"], "enqueued")
        carol = Baresip(self.d, "carol", dict(USERS)["carol"], "alice", self.d.tmp)
        self.addCleanup(carol.close)
        carol.wait_registered()
        try:
            carol.wait_received("alice", text)
            iu.wait_status(self, self.d, self.d.tokens["alice"], j["id"])
        except AssertionError as e:
            self.fail("%s\n---- carol ----\n%s\n---- columbad ----\n%s"
                      % (e, carol.output()[-5000:], self.d.log()[-5000:]))

    def test_two_devices_both_receive(self):
        text = "interop two devices %s" % os.urandom(4).hex()
        devices = []
        for n in (1, 2):
            ua = Baresip(self.d, "dave", dict(USERS)["dave"], "alice", self.d.tmp,
                         name="dave%d" % n)
            self.addCleanup(ua.close)
            devices.append(ua)
        for ua in devices:
            ua.wait_registered()
        st, j = iu.submit_with_curl(self.d, self.d.tokens["alice"], "dave", text)
        self.assertEqual(st, 202, j)
        try:
            for ua in devices:
                ua.wait_received("alice", text)
            iu.wait_status(self, self.d, self.d.tokens["alice"], j["id"])
        except AssertionError as e:
            self.fail("%s\n---- dave1 ----\n%s\n---- dave2 ----\n%s\n---- columbad ----\n%s"
                      % (e, devices[0].output()[-4000:], devices[1].output()[-4000:],
                         self.d.log()[-5000:]))
        # Two MESSAGEs with the same Call-ID, one per flow.
        call_ids = set()
        for ua in devices:
            msgs = [m for m in trace_messages(ua, "MESSAGE ", "MESSAGE") if text in m]
            self.assertEqual(len(msgs), 1, msgs)
            call_ids.add(re.search(r"(?mi)^Call-ID:\s*(\S+)", msgs[0]).group(1))
        self.assertEqual(len(call_ids), 1, call_ids)


if __name__ == "__main__":
    iu.require_tools(("baresip", "baresip-core"), ("curl", "curl"))
    if module_dir() is None:
        sys.stderr.write("SKIP: baresip's ctrl_tcp.so not found in %s\n" % ", ".join(MODULE_DIRS))
        sys.exit(77)
    ct.main()
