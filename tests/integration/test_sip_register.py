"""SIP over TLS listener and registrar (issue 5 items 2 and 6): OPTIONS,
digest REGISTER (SHA-256 and MD5), the checks a registrar makes, Expires
bounds, unregistration, keepalives, unknown methods and malformed input."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import columba_test as ct  # noqa: E402
import sip_client  # noqa: E402

USERS = (("alice", "alice-secret-pw"), ("bob", "bob-secret-pw"))


class SipRegister(ct.DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = ct.Columbad(users=USERS, sets=["sip.min_expires_s=60", "sip.max_expires_s=3600",
                                               "server.log_level=debug"])

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.d.stop()
            rep = ct.sanitizer_report(cls.d.log())
            if rc != 0 or rep:
                sys.stderr.write(cls.d.log())
            assert rc == 0, "columbad exit code %d" % rc
            assert rep is None, rep
        finally:
            cls.d.close()

    def flow(self):
        f = self.d.sip_flow()
        self.addCleanup(f.close)
        return f

    def fail_with_log(self, msg):
        self.fail("%s\n---- log ----\n%s" % (msg, self.d.log()))

    def test_options(self):
        f = self.flow()
        r = f.request("OPTIONS")
        self.assertEqual(r.status, 200, r)
        allow = [m.strip() for m in r.header("allow").split(",")]
        self.assertEqual(sorted(allow), ["MESSAGE", "OPTIONS", "REGISTER"])
        self.assertEqual(r.header("accept"), "text/plain")
        self.assertEqual(r.header("call-id"), f.call_id)
        self.assertIn("tag=", r.header("to"))
        self.assertTrue(r.header("via").startswith("SIP/2.0/TLS client.invalid"))

    def test_register_without_credentials(self):
        f = self.flow()
        r = f.register()
        self.assertEqual(r.status, 401, r)
        ch = r.all("www-authenticate")
        self.assertEqual(len(ch), 2, r)
        s1, p1 = sip_client.parse_auth_params(ch[0])
        s2, p2 = sip_client.parse_auth_params(ch[1])
        self.assertEqual((s1, s2), ("Digest", "Digest"))
        self.assertEqual(p1["algorithm"], "SHA-256")  # most preferred first (RFC 8760)
        self.assertEqual(p2["algorithm"], "MD5")
        self.assertEqual(p1["realm"], "localhost")
        self.assertEqual(p1["qop"], "auth")
        self.assertEqual(p1["nonce"], p2["nonce"])

    def test_digest_algorithms_setting(self):
        # MD5 alone, for user agents that stop at the first challenge they
        # cannot answer (baresip 1.0, sipp 3.6): one challenge, and only an
        # MD5 answer counts.
        d = ct.Columbad(users=USERS, sets=["sip.digest_algorithms= md5 "])
        self.addCleanup(d.close)
        f = d.sip_flow()
        self.addCleanup(f.close)
        r = f.register()
        self.assertEqual(r.status, 401, r)
        ch = r.all("www-authenticate")
        self.assertEqual(len(ch), 1, r)
        self.assertEqual(sip_client.parse_auth_params(ch[0])[1]["algorithm"], "MD5")
        r, _ = f.register_auth("alice-secret-pw", alg="MD5")
        self.assertEqual(r.status, 200, r)
        # a SHA-256 answer to a nonce of ours is refused: not offered
        _, p = f.challenge(alg="MD5")
        value, _ = sip_client.digest_authorization("SHA-256", "alice", "alice-secret-pw",
                                                   p["realm"], p["nonce"], "REGISTER",
                                                   "sips:localhost")
        r = f.register(authorization=value)
        self.assertEqual(r.status, 401, r)
        # MD5 first, then SHA-256: the order of the challenges follows the setting
        d2 = ct.Columbad(users=USERS, sets=["sip.digest_algorithms=MD5, SHA-256"])
        self.addCleanup(d2.close)
        f2 = d2.sip_flow()
        self.addCleanup(f2.close)
        algs = [sip_client.parse_auth_params(v)[1]["algorithm"]
                for v in f2.register().all("www-authenticate")]
        self.assertEqual(algs, ["MD5", "SHA-256"])
        self.assertEqual(d.stop(), 0)
        self.assertEqual(d2.stop(), 0)

    def test_register_sha256_and_md5(self):
        for alg in ("SHA-256", "MD5"):
            with self.subTest(alg=alg):
                f = self.flow()
                r, _ = f.register_auth("alice-secret-pw", alg=alg, expires=120)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("expires"), "120")
                self.assertEqual(r.header("contact"),
                                 "<sips:alice@client.invalid;transport=tls>;expires=120")
                self.assertIsNotNone(r.header("date"))
                self.assertIsNone(r.header("require"))
        self.d.wait_log(r"event=registered flow=\S+ expires_s=120", count=2)

    def test_expires_clamped_to_max(self):
        f = self.flow()
        r, _ = f.register_auth("alice-secret-pw", expires=999999)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("expires"), "3600")
        self.assertTrue(r.header("contact").endswith(";expires=3600"), r)

    def test_contact_expires_param_and_outbound(self):
        f = self.flow()
        contact = ('<sips:alice@client.invalid;transport=tls>;expires=300;reg-id=1;'
                   '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"')
        r, _ = f.register_auth("alice-secret-pw", contact=contact,
                               headers=[("Supported", "outbound, path")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("expires"), "300")
        self.assertIn("reg-id=1", r.header("contact"))
        self.assertIn("+sip.instance=", r.header("contact"))
        self.assertEqual(r.header("require"), "outbound")
        self.assertEqual(r.header("flow-timer"), "120")

    def test_wrong_password(self):
        f = self.flow()
        r, _ = f.register_auth("not-the-password")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(len(r.all("www-authenticate")), 2)

    def test_unknown_user(self):
        f = self.flow()
        r, _ = f.register_auth("whatever", user="mallory")
        self.assertEqual(r.status, 401, r)

    def test_register_as_another_user(self):
        f = self.flow()
        # From alice, To bob, alice's credentials.
        _, p = f.challenge()
        r, _ = f.register_auth("alice-secret-pw", user="alice", to_user="bob", params=p)
        self.assertEqual(r.status, 403, r)
        self.assertIn("themselves", r.reason)
        # From and To bob, but alice's credentials (username alice).
        r, _ = f.register_auth("alice-secret-pw", user="bob", auth_user="alice", params=p)
        self.assertEqual(r.status, 403, r)

    def test_replayed_nonce_count(self):
        f = self.flow()
        r, p = f.register_auth("alice-secret-pw", nc=1)
        self.assertEqual(r.status, 200, r)
        # The same nonce and nc again: a replay.
        r, _ = f.register_auth("alice-secret-pw", params=p, nc=1)
        self.assertEqual(r.status, 401, r)
        # A higher nc with the same nonce is fine.
        r, _ = f.register_auth("alice-secret-pw", params=p, nc=2)
        self.assertEqual(r.status, 200, r)

    def test_nonce_bound_to_flow(self):
        f1 = self.flow()
        _, p = f1.challenge()
        f2 = self.flow()
        r, _ = f2.register_auth("alice-secret-pw", params=p)
        self.assertEqual(r.status, 401, r)

    def test_interval_too_brief(self):
        f = self.flow()
        r, _ = f.register_auth("alice-secret-pw", expires=30)
        self.assertEqual(r.status, 423, r)
        self.assertEqual(r.header("min-expires"), "60")

    def test_unregister(self):
        f = self.flow()
        r, p = f.register_auth("bob-secret-pw", user="bob", expires=600)
        self.assertEqual(r.status, 200, r)
        r, _ = f.register_auth("bob-secret-pw", user="bob", expires=0, params=p, nc=2)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("contact"))
        self.d.wait_log(r"event=unregistered flow=")
        # Contact: * with Expires: 0 as well.
        r, _ = f.register_auth("bob-secret-pw", user="bob", expires=0, contact="*", params=p,
                               nc=3)
        self.assertEqual(r.status, 200, r)
        # Contact: * without Expires: 0 is malformed.
        r, _ = f.register_auth("bob-secret-pw", user="bob", contact="*", params=p, nc=4)
        self.assertEqual(r.status, 400, r)

    def test_keepalive(self):
        f = self.flow()
        f.send(b"\r\n\r\n")
        self.assertEqual(f.read_exact(2), b"\r\n")
        # Keepalives between pipelined messages.
        f.send(b"\r\n\r\n" + f.request_bytes("OPTIONS") + b"\r\n\r\n")
        self.assertEqual(f.read_exact(2), b"\r\n")
        self.assertEqual(f.read_response().status, 200)
        self.assertEqual(f.read_exact(2), b"\r\n")

    def test_pipelined_behind_register(self):
        # An OPTIONS sent right behind a REGISTER that waits for the store is
        # answered after it, in order.
        f = self.flow()
        _, p = f.challenge()
        value, _ = sip_client.digest_authorization("SHA-256", "alice", "alice-secret-pw",
                                                   p["realm"], p["nonce"], "REGISTER",
                                                   "sips:localhost")
        reg = f.request_bytes("REGISTER", headers=[
            ("Contact", "<sips:alice@client.invalid>"), ("Authorization", value)])
        opt = f.request_bytes("OPTIONS")
        f.send(reg + opt[:20])
        f.send(opt[20:])
        r1 = f.read_response()
        r2 = f.read_response()
        self.assertEqual((r1.status, r1.header("cseq")), (200, "%d REGISTER" % (f.cseq - 1)))
        self.assertEqual((r2.status, r2.header("cseq")), (200, "%d OPTIONS" % f.cseq))

    def test_message_needs_registration(self):
        # the rest of SIP submit is in test_sip_delivery.py
        f = self.flow()
        r = f.request("MESSAGE", ruri="sips:bob@localhost", to_user="bob",
                      headers=[("Content-Type", "text/plain")], body=b"hi")
        self.assertEqual(r.status, 403, r)
        r, _ = f.register_auth("alice-secret-pw")
        self.assertEqual(r.status, 200, r)
        r = f.request("MESSAGE", ruri="sips:bob@localhost", to_user="bob",
                      headers=[("Content-Type", "text/plain")], body=b"hi")
        self.assertEqual(r.status, 202, r)

    def test_unknown_method(self):
        f = self.flow()
        r = f.request("SUBSCRIBE")
        self.assertEqual(r.status, 405, r)
        self.assertIn("REGISTER", r.header("allow"))
        r = f.request("FOO")
        self.assertEqual(r.status, 405, r)

    def test_max_forwards_zero_not_for_us(self):
        f = self.flow()
        r = f.request("OPTIONS", ruri="sips:bob@example.org", max_forwards=0)
        self.assertEqual(r.status, 483, r)
        r = f.request("OPTIONS", max_forwards=0)
        self.assertEqual(r.status, 200, r)

    def test_not_our_domain(self):
        f = self.flow()
        r = f.request("REGISTER", ruri="sips:example.org",
                      headers=[("Contact", "<sips:alice@client.invalid>")])
        self.assertEqual(r.status, 404, r)

    def test_malformed_answered_400(self):
        f = self.flow()
        bad = f.request_bytes("OPTIONS").replace(b"Content-Length: 0\r\n", b"")
        f.send(bad)
        r = f.read_response()
        self.assertEqual(r.status, 400, r)
        self.assertIn("no_cl", r.reason)
        self.assertTrue(f.closed_by_peer())

    def test_garbage_closed(self):
        f = self.flow()
        f.send(b"this is not SIP at all\nreally\r\n\r\n")
        try:
            r = f.read_response()
            self.assertEqual(r.status, 400, r)
        except (EOFError, ConnectionError, OSError):
            pass
        self.assertTrue(f.closed_by_peer())

    def test_byte_at_a_time(self):
        f = self.flow()
        data = f.request_bytes("OPTIONS")
        for i in range(len(data)):
            f.send(data[i:i + 1])
        self.assertEqual(f.read_response().status, 200)

    def test_response_from_ua_ignored(self):
        f = self.flow()
        f.send(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKx\r\nFrom: <sips:a@localhost>;tag=1"
               b"\r\nTo: <sips:b@localhost>;tag=2\r\nCall-ID: x@y\r\nCSeq: 1 MESSAGE\r\n"
               b"Content-Length: 0\r\n\r\n")
        self.assertEqual(f.request("OPTIONS").status, 200)


class SipFlowLifetime(ct.DaemonTestCase):
    def test_binding_dies_with_flow_and_idle_close(self):
        d = self.start(users=USERS, sets=["sip.idle_timeout_ms=300", "sip.min_expires_s=1",
                                          "sip.default_expires_s=2", "server.log_level=debug"])
        f = d.sip_flow()
        r, _ = f.register_auth("alice-secret-pw")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("expires"), "2")
        # Bound: the idle timeout does not apply; the binding expires.
        d.wait_log(r"event=binding_expired flow=")
        # Unbound again: closed after the idle timeout.
        self.assertTrue(f.closed_by_peer(timeout=10))
        f.close()
        g = d.sip_flow()
        r, _ = g.register_auth("bob-secret-pw", user="bob", expires=60)
        self.assertEqual(r.status, 200, r)
        flow = d.wait_log(r"event=registered flow=(\S+) expires_s=60").group(1)
        g.close()
        # The binding dies with the flow: the store held it on this flow (err=0).
        d.wait_log(r"event=binding_dropped flow=%s err=0" % flow)
        d.stop_ok(self)
        self.assertNotRegex(d.log(), r"unregister_(failed|dropped)")


class SipListenConfig(ct.DaemonTestCase):
    def test_sip_port_taken_or_shared(self):
        import socket
        import tempfile
        import shutil
        tmp = tempfile.mkdtemp(prefix="columba-sipcfg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        state = os.path.join(tmp, "state")
        ct.prepare_state(state)
        http_port, admin_port = ct.free_port(), ct.free_port()
        base = (["--state-dir", state, "--set", "server.pin_workers=false",
                 "--set", "server.workers=1"]
                + ct.config_args(http_port, admin_port))
        # The same port as the HTTPS listener: refused before anything starts.
        r = ct.run_columbad(base + ["--set", "sip.listen=*:%d" % http_port, "--check-config"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("[sip] listen", r.stderr)
        if ct.DPDK:
            self.skipTest("not on the dpdk backend: the stack's ports are its own, "
                          "no kernel socket can hold one")
        # A port someone else listens on: exit 2 naming [sip] listen.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            r = ct.run_columbad(base + ["--set", "sip.listen=127.0.0.1:%d" % port])
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = [l for l in r.stderr.splitlines() if not l.startswith("ts=")]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("[sip] listen 127.0.0.1:%d" % port, lines[0])
        self.assertIn("in use", lines[0])


if __name__ == "__main__":
    ct.main()
