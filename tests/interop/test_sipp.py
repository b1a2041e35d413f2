"""sipp (Debian's sip-tester 3.6.1, no TLS) behind stunnel against columbad
(issue 5, "Real clients": a REGISTER + receive-MESSAGE scenario with many users).

N users (INTEROP_SIPP_USERS, default 50) are created with `columbad user add`.
sipp runs sipp/register_wait.xml once per user, each call on its own TCP
connection (-t tn) to one stunnel in client mode, which opens one TLS flow to
columbad per connection: REGISTER, 401, REGISTER with digest credentials
(injection file), 200; a MESSAGE to the next user (SIP submit), 202; the
registration is held for the -d pause, then removed with Expires: 0. The test submits one message per user over HTTPS
before sipp starts (parked until the REGISTER) and one more once all are
registered; columbad sends each as a MESSAGE on that user's flow and sipp's
out-of-call scenario (sipp/receive_message_ooc.xml) logs it and answers 200.
Checked: every user registered on its own flow, every user received exactly
its own two texts, the parked one first, the previous user's SIP text and the
delivery notification for its own (sipp's log), every HTTPS message is
"delivered" by status, every call of sipp succeeded (exit code 0), every
binding was removed.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_util as iu  # noqa: E402

ct = iu.ct
HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "sipp")
N = int(os.environ.get("INTEROP_SIPP_USERS", "50"))
# How long each registration is held (sipp -d): long enough for N
# registrations, N submits and N deliveries on a slow (sanitizer) build.
PAUSE_MS = int(os.environ.get("INTEROP_SIPP_PAUSE_MS", "15000"))
DOMAIN = "localhost"


def user(i):
    return "u%03d" % i


def password(i):
    return "sipp-pw-%03d-%s" % (i, "x" * 8)


class SippInterop(ct.DaemonTestCase):
    def start_stunnel(self, d, upstream_port):
        """stunnel in client mode: 127.0.0.1:<port> (TCP) -> upstream (TLS,
        certificate checked against the dev certificate, host localhost)."""
        port = ct.free_port()
        conf = os.path.join(d.tmp, "stunnel.conf")
        with open(conf, "w") as f:
            f.write("foreground = yes\n"
                    "pid =\n"
                    "syslog = no\n"
                    "debug = 4\n"
                    "[columba-sip]\n"
                    "client = yes\n"
                    "accept = 127.0.0.1:%d\n"
                    "connect = 127.0.0.1:%d\n"
                    "CAfile = %s\n"
                    "verifyChain = yes\n"
                    "checkHost = localhost\n"
                    % (port, upstream_port, d.cert))
        child = iu.Child(["stunnel", conf], os.path.join(d.tmp, "stunnel.out"))
        self.addCleanup(child.stop)

        def listening():
            if child.proc.poll() is not None:
                raise AssertionError("stunnel exited (%s):\n%s"
                                     % (child.proc.returncode, child.output()))
            return ct.port_listening(port)
        iu.wait_for("stunnel to listen on %d" % port, listening)
        return child, port

    def test_register_and_receive_many(self):
        users = [(user(i), password(i)) for i in range(N)] + [("sender", "sender-sipp-pw")]
        d = self.start(users=users, tokens=["sender"],
                       sets=["server.domain=" + DOMAIN,
                             "intake.submit_rate_per_min=600000",
                             "intake.submit_burst=%d" % (2 * N + 10)] + iu.digest_sets())
        stunnel, stunnel_port = self.start_stunnel(d, d.sip_port)

        # One message per user before anyone is registered (parked until the
        # REGISTER), over HTTPS on one keep-alive connection.
        conn = d.https_connection()
        self.addCleanup(conn.close)
        sent = {user(i): [] for i in range(N)}  # user -> [(text, id)] in submit order

        def submit_all(phase):
            for i in range(N):
                text = "sipp interop %s %s %s" % (phase, user(i), os.urandom(3).hex())
                r = d.submit(d.tokens["sender"], user(i), text, conn=conn)
                self.assertEqual(r.status, 202, r)
                sent[user(i)].append((text, r.json()["id"]))
        submit_all("offline")

        run = os.urandom(4).hex()  # names this run in the texts sipp sends
        csv = os.path.join(d.tmp, "users.csv")
        with open(csv, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(N):
                f.write("%s;%s;[authentication username=%s password=%s];%s;%s\n"
                        % (user(i), DOMAIN, user(i), password(i), user((i + 1) % N), run))
        files = {k: os.path.join(d.tmp, "sipp-%s.log" % k)
                 for k in ("messages", "errors", "logs", "screen")}
        sipp = iu.Child(["sipp", "127.0.0.1:%d" % stunnel_port,
                         "-t", "tn", "-i", "127.0.0.1", "-p", str(ct.free_port()),
                         "-max_socket", str(4 * N + 64),
                         "-sf", os.path.join(SCENARIOS, "register_wait.xml"),
                         "-oocsf", os.path.join(SCENARIOS, "receive_message_ooc.xml"),
                         "-inf", csv, "-m", str(N), "-l", str(N), "-r", "100",
                         "-d", str(PAUSE_MS), "-nostdin", "-nd", "-auth_uri", DOMAIN,
                         "-timeout", "%ds" % (PAUSE_MS // 1000 + 40), "-timeout_error",
                         "-trace_msg", "-message_file", files["messages"],
                         "-trace_err", "-error_file", files["errors"],
                         "-trace_logs", "-log_file", files["logs"],
                         "-trace_screen", "-screen_file", files["screen"]],
                        os.path.join(d.tmp, "sipp.out"), cwd=d.tmp)
        self.addCleanup(sipp.stop, grace=2.0)

        def read(name):
            try:
                with open(files[name], "rb") as f:
                    return f.read().decode("utf-8", "replace")
            except FileNotFoundError:
                return ""

        def explain(msg):
            self.fail("%s\n---- sipp errors ----\n%s\n---- sipp output ----\n%s\n"
                      "---- sipp log (tail) ----\n%s\n"
                      "---- sipp messages (tail) ----\n%s\n---- stunnel ----\n%s"
                      % (msg, read("errors")[-4000:], sipp.output()[-3000:],
                         read("logs")[-3000:], read("messages")[-6000:],
                         stunnel.output()[-2000:]))

        # Every user registered, each on its own flow.
        try:
            d.wait_log(r"event=registered ", count=N, timeout=iu.WAIT + N * 0.2)
        except AssertionError as e:
            explain(str(e).split("; log:")[0])
        flows = set(re.findall(r"event=registered flow=(\S+)", d.log()))
        self.assertEqual(len(flows), N, "one flow per registered user")

        # And one more per user while registered.
        t_online = time.monotonic()
        submit_all("online")

        # Each user sent one MESSAGE over SIP to the next (202 with an id).
        sub_rx = re.compile(r"submitted from=(\S+) to=(\S+) id=(\S+)$", re.M)
        try:
            iu.wait_for("%d SIP submits in sipp's log" % N,
                        lambda: len(sub_rx.findall(read("logs"))) >= N)
        except AssertionError as e:
            explain("%s (got %d)" % (e, len(sub_rx.findall(read("logs")))))
        submitted = {frm: (to, mid) for frm, to, mid in sub_rx.findall(read("logs"))}
        self.assertEqual(sorted(submitted), sorted(sent))

        # sipp's out-of-call scenario logged every MESSAGE, on the right flow:
        # each user got exactly its own two texts over HTTPS, the parked one
        # first, the previous user's text over SIP, and the delivery
        # notification for its own SIP submit.
        rx = re.compile(r"received-message to=(\S+)@ from=(\S+)@ ctype=(\S+) imdn=(\S*) (\S*) "
                        r"text=(.*)$", re.M)
        try:
            iu.wait_for("%d MESSAGEs in sipp's log" % (4 * N),
                        lambda: len(rx.findall(read("logs"))) >= 4 * N,
                        timeout=iu.WAIT + N * 0.2)
        except AssertionError as e:
            explain("%s (got %d)" % (e, len(rx.findall(read("logs")))))
        got = rx.findall(read("logs"))
        t_received = time.monotonic() - t_online
        self.assertEqual(len(got), 4 * N, got)
        https, over_sip, imdn = ({u: [] for u in sent} for _ in range(3))
        for to, frm, ctype, mid, state, text in got:
            self.assertIn(to, https, "a MESSAGE for %r" % to)
            if ctype == "message/imdn+xml":
                imdn[to].append((frm, mid.replace("<message-id>", ""),
                                 state.replace("<c:state>", "")))
            elif frm == "sender":
                self.assertEqual(ctype, "text/plain")
                https[to].append(text.strip())
            else:
                self.assertEqual(ctype, "text/plain")
                over_sip[to].append((frm, text.strip()))
        for i in range(N):
            u, prev = user(i), user((i - 1) % N)
            self.assertEqual(https[u], [t for t, _ in sent[u]], "what %s received" % u)
            self.assertEqual(over_sip[u], [(prev, "sipp submit %s from %s" % (run, prev))])
            to, mid = submitted[u]
            self.assertEqual(to, user((i + 1) % N))
            self.assertEqual(imdn[u], [(to, mid, "delivered")], "%s's notification" % u)

        # Every message delivered (its 200 reached columbad).
        for u in sorted(sent):
            for _, mid in sent[u]:
                iu.wait_status(self, d, d.tokens["sender"], mid)

        # sipp ends after the pause: every call (REGISTER, wait, Expires: 0) succeeded.
        try:
            rc = sipp.wait(timeout=PAUSE_MS / 1000 + 60)
        except Exception:
            explain("sipp did not end after its pause")
        if rc != 0:
            explain("sipp exited %d" % rc)
        screen = read("screen") + sipp.output()
        m = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", screen)
        self.assertTrue(m, screen[-3000:])
        self.assertEqual(int(m.group(1)), N, screen[-3000:])
        d.wait_log(r"event=unregistered ", count=N, timeout=iu.WAIT)
        sys.stderr.write("sipp: %d users registered over %d TLS flows, %d MESSAGEs received "
                         "and answered (%d parked, %d online, %d SIP submits, %d notifications; "
                         "submit of the online ones to the last in sipp's log: %.2f s), "
                         "all delivered\n" % (N, len(flows), len(got), N, N, N, N, t_received))
        d.stop_ok(self)


if __name__ == "__main__":
    iu.require_tools(("sipp", "sip-tester"), ("stunnel", "stunnel4"))
    ct.main()
