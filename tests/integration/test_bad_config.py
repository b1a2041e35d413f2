"""Bad configurations: exit code 2 and exactly one line on stderr naming the problem."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

import columba_test as ct


class BadConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="columba-badcfg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.state = os.path.join(self.tmp, "state")
        self.port = ct.free_port()
        self.admin_port = ct.free_port()
        self.sip_port = ct.free_port()
        # A state directory a good configuration could start on (with the
        # storage master key where columbad needs one), so each run fails
        # for the one reason the test gives.
        ct.prepare_state(self.state)

    def base(self):
        # SIP never on the default 5061: another program may hold it.
        return (["--state-dir", self.state, "--set", "server.pin_workers=false",
                 "--set", "server.workers=1"]
                + ct.config_args(self.port, self.admin_port, self.sip_port))

    def ini(self, text, name="c.ini"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def bad(self, args, *needles, check=True, logs=False):
        """Run columbad (and --check-config) and expect exit 2 with one line
        (logs: ignore logfmt lines logged before the failure)."""
        for extra in (["--check-config"], []) if check else ([],):
            r = ct.run_columbad(self.base() + list(args) + extra)
            what = "columbad %s" % " ".join(list(args) + extra)
            self.assertEqual(r.returncode, 2, "%s: rc %d\n%s" % (what, r.returncode, r.stderr))
            lines = [l for l in r.stderr.splitlines() if not (logs and l.startswith("ts="))]
            self.assertEqual(len(lines), 1, "%s: stderr %r" % (what, r.stderr))
            self.assertTrue(lines[0].startswith("columbad: config: "), lines[0])
            for n in needles:
                self.assertIn(n, lines[0], what)
            self.assertIsNone(ct.sanitizer_report(r.stderr))
            self.assertEqual(r.stdout, "")
        return lines[0]

    def test_unknown_key_in_file(self):
        p = self.ini("[server]\nworkers = 1\n\n# comment\nbogus = 3\n")
        self.bad(["-c", p], p + ":5:", 'unknown key "bogus"', "[server]")

    def test_unknown_section(self):
        p = self.ini("[server]\nworkers = 1\n[nope]\nx = 1\n")
        self.bad(["-c", p], p + ":4:", "unknown section [nope]")

    def test_key_before_any_section(self):
        p = self.ini("workers = 1\n")
        self.bad(["-c", p], p + ":1:", "unknown section")

    def test_syntax_error_in_file(self):
        p = self.ini("[server]\nworkers = 1\nthis line has no equals sign\n")
        self.bad(["-c", p], p + ":3:", "syntax error")

    def test_missing_file(self):
        p = os.path.join(self.tmp, "missing.ini")
        self.bad(["-c", p], p, "cannot open")

    def test_out_of_range(self):
        self.bad(["--set", "server.workers=1000"], "workers", "out of range 0..256")
        p = self.ini("[server]\nworkers = 1000\n")
        self.bad(["-c", p], p + ":2:", "workers", "1000", "out of range")
        self.bad(["--set", "http.max_body_bytes=63"], "max_body_bytes", "64..1048576")
        self.bad(["--set", "http.max_body_bytes=1048577"], "max_body_bytes")
        self.bad(["--set", "http.header_timeout_ms=99"], "header_timeout_ms", "100..600000")

    def test_digest_algorithms(self):
        for v in ("SHA-1", "MD5,MD5", "", "SHA-256,,MD5", "SHA-256 MD5", "MD5,SHA-256,MD5"):
            with self.subTest(v=v):
                self.bad(["--set", "sip.digest_algorithms=" + v], "[sip] digest_algorithms",
                         "SHA-256 and MD5")

    def test_not_a_number(self):
        self.bad(["--set", "server.workers=two"], "workers", "not a non-negative integer")
        self.bad(["--set", "server.workers=-1"], "workers")
        self.bad(["--set", "server.workers=1x"], "workers")
        self.bad(["--set", "server.workers="], "workers")

    def test_non_boolean(self):
        self.bad(["--set", "server.pin_workers=maybe"], "pin_workers", "not a boolean")
        p = self.ini("[tls]\nsession_tickets = 2\n")
        self.bad(["-c", p], p + ":2:", "session_tickets", "not a boolean")

    def test_bad_address(self):
        for a in ("localhost:8443", "1.2.3:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
                  "[::1:80", "::1:80", "*:", "[::1]80"):
            self.bad(["--set", "http.listen=" + a], "listen", "not an address")
        self.bad(["--set", "http.admin_listen=nowhere:1"], "admin_listen")

    def test_bad_log_level(self):
        self.bad(["--log-level", "loud"], "log_level", "loud")

    @ct.skip_on_dpdk("this mode runs backend = dpdk; tests/dpdk/test_dpdk_backend.py "
                     "ConfigRules checks its rules")
    def test_unknown_backend(self):
        self.bad(["--set", "server.backend=dpdk"], "backend", "dpdk")

    def test_unreadable_certificate(self):
        cert = os.path.join(self.tmp, "no-cert.pem")
        key = os.path.join(self.tmp, "no-key.pem")
        self.bad(["--set", "tls.certificate=" + cert, "--set", "tls.private_key=" + key],
                 "[tls]", cert, "No such file")

    def test_certificate_not_pem(self):
        cert = self.ini("this is not a certificate\n", "cert.pem")
        key = self.ini("nor a key\n", "key.pem")
        self.bad(["--set", "tls.certificate=" + cert, "--set", "tls.private_key=" + key],
                 "[tls]", cert)

    def test_key_does_not_match(self):
        certs = []
        for n in ("a", "b"):
            c, k = os.path.join(self.tmp, n + ".crt"), os.path.join(self.tmp, n + ".key")
            r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-nodes", "-keyout", k, "-out", c,
                                "-days", "2", "-subj", "/CN=localhost"],
                               capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            certs.append((c, k))
        self.bad(["--set", "tls.certificate=" + certs[0][0],
                  "--set", "tls.private_key=" + certs[1][1]], "does not match")
        # The matching pair is fine.
        r = ct.run_columbad(self.base() + ["--set", "tls.certificate=" + certs[0][0],
                                           "--set", "tls.private_key=" + certs[0][1],
                                           "--check-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "columbad: configuration OK")

    def test_certificate_without_key(self):
        cert = self.ini("x\n", "cert.pem")
        self.bad(["--set", "tls.certificate=" + cert], "certificate and private_key")
        self.bad(["--set", "tls.private_key=" + cert], "certificate and private_key")

    def test_set_without_equals(self):
        self.bad(["--set", "http.listen"], '--set "http.listen"', "section.key=value")
        self.bad(["--set", "workers=1"], '--set "workers=1"')
        self.bad(["--set", ".workers=1"], "section.key=value")
        self.bad(["--set", "server.=1"], "section.key=value")

    def test_set_unknown_key(self):
        self.bad(["--set", "server.bogus=1"], 'unknown key "bogus"', "[server]")
        self.bad(["--set", "nosuch.workers=1"], "[nosuch]")

    def test_header_bytes_below_request_line(self):
        self.bad(["--set", "http.max_request_line=8192", "--set", "http.max_header_bytes=4096"],
                 "max_header_bytes", "max_request_line")

    @ct.skip_on_dpdk("the stack's ports are its own: no kernel socket can hold one")
    def test_listen_port_in_use(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            line = self.bad(["--set", "http.listen=127.0.0.1:%d" % port], "[http] listen",
                            "127.0.0.1:%d" % port, check=False, logs=True)
            self.assertIn("in use", line)

    @ct.skip_on_dpdk("a second columbad has a port (tap) and a stack of its own: "
                     "no shared port to conflict on")
    def test_listen_port_of_another_columbad(self):
        # The most likely conflict: a second columbad (or an old one not yet
        # gone) on the same port. Its listeners use SO_REUSEPORT, which lets
        # a second process bind the same port and silently take half of the
        # connections; the second one must refuse to start instead.
        first = ct.Columbad()
        self.addCleanup(first.close)
        p = subprocess.Popen([ct.COLUMBAD] + self.base() + [
                             "--set", "http.listen=*:%d" % first.port],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            self.fail("a second columbad started on port %d, already served by another" % first.port)
        finally:
            first.stop()
        self.assertEqual(p.returncode, 2, err)
        lines = [l for l in err.splitlines() if not l.startswith("ts=")]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("[http] listen", lines[0])

    def test_state_dir_unusable(self):
        f = self.ini("a file\n", "file")
        self.bad(["--state-dir", os.path.join(f, "sub")], "state_dir", check=False)

    def test_unexpected_argument(self):
        r = ct.run_columbad(["extra"])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn('"extra"', r.stderr)

    def test_good_config(self):
        p = self.ini("# columbad\n[server]\nworkers = 2\npin_workers = no\nlog_level = warn\n"
                     "[http]\nmax_body_bytes = 1024\nadmin = off\n"
                     "[tls]\nsession_tickets = false\n")
        r = ct.run_columbad(self.base() + ["-c", p, "--check-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.assertIn("configuration OK", r.stdout)
        # --print-config shows the file's values with the command line over them.
        fresh = os.path.join(self.tmp, "fresh")
        r = ct.run_columbad(["-c", p, "--set", "server.workers=3", "--state-dir", fresh,
                             "--print-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.splitlines()
        for want in ("workers = 3", "pin_workers = false", "log_level = warn",
                     "max_body_bytes = 1024", "admin = false", "session_tickets = false",
                     "certificate = %s/tls/dev-cert.pem" % fresh,
                     "private_key = %s/tls/dev-key.pem" % fresh):
            self.assertIn(want, out)
        self.assertFalse(os.path.exists(fresh), "--print-config created the state dir")

    def test_defaults_printed(self):
        r = ct.run_columbad(["--print-config"])
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.splitlines()
        for want in ("listen = *:8443", "admin_listen = 127.0.0.1:8081", "admin = true",
                     "state_dir = ./var"):
            self.assertIn(want, out)
        # Every setting --print-config shows is documented by --help-config.
        keys = [l.split(" = ")[0] for l in out if " = " in l]
        h = ct.run_columbad(["--help-config"])
        self.assertEqual(h.returncode, 0)
        documented = re.findall(r"(?m)^  (\S+) +\S+ +default ", h.stdout)
        self.assertEqual(sorted(keys), sorted(documented))


if __name__ == "__main__":
    ct.main()
