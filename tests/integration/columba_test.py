"""Helpers for columbad's integration tests (Python 3 standard library only).

Each test file is its own process (meson runs them in parallel). A test
starts a real columbad with `Columbad(...)`: a fresh temporary state
directory, free ports on 127.0.0.1, `--set` overrides, a bounded wait until
the admin /healthz answers, and stderr captured to a file. `stop()` sends
SIGTERM and asserts exit code 0; `close()` (also run by the test case's
cleanup) kills whatever is still running and fails the test if columbad's
log holds a sanitizer report. On failure the log is printed.

The daemon's path comes from the environment variable COLUMBAD, which
tests/integration/meson.build sets.

COLUMBA_TEST_BACKEND=dpdk (set by tests/dpdk/run_integration.py, inside a
network namespace of its own, as root) runs every daemon with backend = dpdk
on a net_tap port instead: the stack has its own address (`host`), the
kernel's side of the tap holds the client addresses (`client_ip(i)`, the
roles of 127.0.0.i), and the admin listener is `*:port`, served through the
stack. Tests that cannot apply there say so with `skip_on_dpdk(reason)`.
"""
import base64
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

COLUMBAD = os.environ.get("COLUMBAD", "")
# Sanitizer builds start and run slower; every wait below is an upper bound
# on how long to wait for something that normally takes milliseconds.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")
BACKEND = os.environ.get("COLUMBA_TEST_BACKEND", "uring")
DPDK = BACKEND == "dpdk"
# dpdk: daemon n of this process gets the tap cbit<n> and the /24 198.18.n
# (198.19.n-256 beyond; RFC 2544's benchmarking range, on no real network):
# the stack is .200, the kernel's side .1 (the default source) to .CLIENT_IPS.
DPDK_STACK_HOST = 200
DPDK_CLIENT_IPS = 12
DPDK_SETS = ("server.backend=dpdk", "dpdk.netmask=255.255.255.0", "dpdk.link_wait_ms=0",
             "dpdk.max_connections=256")
DPDK_EAL = "-l 0 --no-huge --no-shconf -m 512 --no-pci --no-telemetry --vdev=net_tap0,iface=%s"
_dpdk_count = 0


def skip_on_dpdk(reason):
    """Decorator: skip a test (or class) in dpdk mode, saying why."""
    return unittest.skipIf(DPDK, "not on the dpdk backend: " + reason)


def dpdk_next_net():
    """(tap name, "a.b.c" prefix of its /24, the stack's address, its --set
    values) for the next dpdk daemon of this process."""
    global _dpdk_count
    n = _dpdk_count
    _dpdk_count += 1
    if n >= 512:
        raise AssertionError("more than 512 dpdk daemons in one test file")
    tap, net = "cbit%d" % n, "198.%d.%d" % (18 + n // 256, n % 256)
    host = "%s.%d" % (net, DPDK_STACK_HOST)
    return tap, net, host, list(DPDK_SETS) + ["dpdk.eal_args=" + DPDK_EAL % tap, "dpdk.ip=" + host]


def config_args(port, admin_port, sip_port=None):
    """--set arguments for a configuration check (run_columbad): the
    listeners (SIP's only with sip_port) on 127.0.0.1; in dpdk mode on
    *:port, with the backend and a tap of its own."""
    host = "*" if DPDK else "127.0.0.1"
    out = ["--set", "http.listen=%s:%d" % (host, port),
           "--set", "http.admin_listen=%s:%d" % (host, admin_port)]
    if sip_port is not None:
        out += ["--set", "sip.listen=%s:%d" % (host, sip_port)]
    if DPDK:
        for v in dpdk_next_net()[3]:
            out += ["--set", v]
    return out


def _ip(*args, stdin=None):
    r = subprocess.run(["ip"] + list(args), input=stdin, capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError("ip %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))


def link_exists(ifname):
    """True if the network interface ifname exists in this process's network
    namespace (/proc/net/dev; /sys/class/net shows the namespace /sys was
    mounted in)."""
    with open("/proc/net/dev") as f:
        return any(l.split(":", 1)[0].strip() == ifname for l in f.read().splitlines()[2:])


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago (bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_ipv6_loopback():
    """True if a socket can be bound to ::1."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def port_listening(port):
    """True if some socket LISTENs on TCP port (any address), per /proc/net/tcp{,6}."""
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def run_columbad(args, timeout=30):
    """Run columbad to completion (config checks). Returns CompletedProcess."""
    return subprocess.run([COLUMBAD] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


_KEYGEN = None


def has_keygen():
    """True if this columbad has the `keygen` subcommand (a storage master key)."""
    global _KEYGEN
    if _KEYGEN is None:
        r = run_columbad(["--help"])
        _KEYGEN = "columbad keygen" in r.stdout
    return _KEYGEN


def prepare_state(state_dir, args=()):
    """Make state_dir ready for a start: the master key, where columbad needs one.
    args: the configuration options (-c FILE, --set ...) the daemon will get."""
    if not has_keygen():
        return
    os.makedirs(os.path.dirname(state_dir), exist_ok=True)
    r = run_columbad(["keygen", "--state-dir", state_dir] + list(args))
    if r.returncode != 0 and "already exists" not in r.stderr:
        raise AssertionError("columbad keygen failed (%d): %s" % (r.returncode, r.stderr))


def sanitizer_report(text):
    """The first line of a sanitizer report in text, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKS):
            return line
    return None


class Response:
    """One HTTP response read off a raw stream."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def json(self):
        return json.loads(self.body.decode())

    @property
    def error(self):
        """The JSON "error" member of an error answer (None if there is none)."""
        try:
            return self.json().get("error")
        except ValueError:
            return None

    def __repr__(self):
        return "Response(%d %s, %r, %r)" % (self.status, self.reason, self.headers, self.body[:200])


class Stream:
    """A socket (plain or TLS) with a read buffer, for raw HTTP/1.1 exchanges."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    def read_response(self, head_only=False, timeout=10.0):
        """Read exactly one response; its body by Content-Length (none for HEAD)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(max(0.01, deadline - time.monotonic()))
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3}) (.*)$", lines[0])
        if not m:
            raise AssertionError("bad status line %r" % lines[0])
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip().lower(), v.strip()))
        status = int(m.group(1))
        length = 0
        for k, v in headers:
            if k == "content-length":
                length = int(v)
        if head_only or status in (100, 204, 304):
            length = 0
        while len(self.buf) < length:
            self._fill(max(0.01, deadline - time.monotonic()))
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(status, m.group(2), headers, body)

    def closed_by_peer(self, timeout=10.0):
        """True once the server has closed (EOF, close_notify or reset)
        within timeout; False if the connection is still open then. Bytes
        that arrive meanwhile fail the check (there should be none)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                self.sock.settimeout(left)
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
                return True
            except ssl.SSLError as e:
                # A reset in the middle of a record, or an alert.
                return True
            if not data:
                return True
            raise AssertionError("unexpected bytes before close: %r" % data[:200])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def request_bytes(method="GET", path="/healthz", host="localhost", headers=(), body=b""):
    """A well-formed HTTP/1.1 request."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
    lines += ["%s: %s" % h for h in headers]
    if body:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPSConnection that connects to @addr but sends SNI and checks the
    certificate for @server_name."""

    def __init__(self, addr, server_name, port, context, **kw):
        super().__init__(addr, port, context=context, **kw)
        self._server_name = server_name
        self._ctx = context

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._ctx.wrap_socket(self.sock, server_hostname=self._server_name)


class Columbad:
    """One columbad process with its own state directory and ports."""

    def __init__(self, sets=(), workers=1, listen_host="*", config_text=None, args=(),
                 state_dir=None, wait=True, users=(), tokens=()):
        if not COLUMBAD or not os.access(COLUMBAD, os.X_OK):
            raise RuntimeError("COLUMBAD must name the columbad executable (got %r)" % COLUMBAD)
        self.tmp = tempfile.mkdtemp(prefix="columba-itest-")
        self.state = state_dir or os.path.join(self.tmp, "state")
        self.listen_host = listen_host
        self.tap = self.net = None
        self.host = "127.0.0.1"       # where clients connect
        self.admin_host = "127.0.0.1"
        dpdk_sets = []
        if DPDK:
            self.tap, self.net, self.host, dpdk_sets = dpdk_next_net()
            self.admin_host = "*"     # the stack has no loopback
        self.port = free_port()
        self.admin_port = free_port()
        while self.admin_port == self.port:
            self.admin_port = free_port()
        self.sip_port = free_port()
        while self.sip_port in (self.port, self.admin_port):
            self.sip_port = free_port()
        self.log_path = os.path.join(self.tmp, "columbad.log")
        self.cert = os.path.join(self.state, "tls", "dev-cert.pem")
        self.args = [COLUMBAD, "--state-dir", self.state,
                     "--set", "server.workers=%d" % workers,
                     "--set", "server.pin_workers=false",
                     "--set", "http.listen=%s:%d" % (listen_host, self.port),
                     "--set", "http.admin_listen=%s:%d" % (self.admin_host, self.admin_port),
                     "--set", "sip.listen=%s:%d" % (listen_host, self.sip_port)]
        for s in dpdk_sets:
            self.args += ["--set", s]
        if config_text is not None:
            path = os.path.join(self.tmp, "columbad.ini")
            with open(path, "w") as f:
                f.write(config_text)
            self.args[1:1] = ["--config", path]
        for s in sets:
            self.args += ["--set", s]
        self.args += list(args)
        prepare_state(self.state, [a for a in self.args[1:] if a not in ("--state-dir", self.state)])
        # Users and tokens go in before the start: the admin commands need
        # the store, which a running columbad holds locked.
        self.passwords = {}
        self.tokens = {}
        for name, password in users:
            self.add_user(name, password)
        for name in tokens:
            self.tokens[name] = self.issue_token(name)
        self.proc = None
        self.returncode = None
        self._log = open(self.log_path, "wb")
        self._spawn(wait)

    def _spawn(self, wait, attempts=3):
        """Start the process; with wait, until ready. A port picked by
        free_port() can be taken by someone else (another test's connection
        gets it as its ephemeral port) before columbad binds it: then pick
        new ports and try again, up to attempts times."""
        for attempt in range(attempts):
            self._log.flush()
            start = os.path.getsize(self.log_path)
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT)
            if DPDK:
                self._link_tap(start)
            if not wait:
                return
            try:
                self.wait_ready()
                return
            except AssertionError:
                with open(self.log_path, "rb") as f:
                    f.seek(start)
                    out = f.read().decode("utf-8", "replace")
                if (attempt + 1 == attempts or self.proc.poll() is None
                        or "Address already in use" not in out or not self._new_ports()):
                    raise
                self._log.write(b"---- port taken meanwhile: new ports, start again ----\n")

    def _new_ports(self):
        """Replace the listen ports this object chose by fresh ones (False if
        the caller configured the addresses itself)."""
        old = ["http.listen=%s:%d" % (self.listen_host, self.port),
               "http.admin_listen=%s:%d" % (self.admin_host, self.admin_port),
               "sip.listen=%s:%d" % (self.listen_host, self.sip_port)]
        if any(a not in self.args for a in old):
            return False
        self.port = free_port()
        self.admin_port = free_port()
        while self.admin_port == self.port:
            self.admin_port = free_port()
        self.sip_port = free_port()
        while self.sip_port in (self.port, self.admin_port):
            self.sip_port = free_port()
        new = ["http.listen=%s:%d" % (self.listen_host, self.port),
               "http.admin_listen=%s:%d" % (self.admin_host, self.admin_port),
               "sip.listen=%s:%d" % (self.listen_host, self.sip_port)]
        self.args = [new[old.index(a)] if a in old else a for a in self.args]
        return True

    def client_ip(self, i):
        """The i-th client address (1: the default source), 127.0.0.i on
        loopback; in dpdk mode the kernel's i-th address on the tap."""
        if not 1 <= i <= DPDK_CLIENT_IPS:
            raise AssertionError("client_ip(%d): 1..%d" % (i, DPDK_CLIENT_IPS))
        return "%s.%d" % (self.net, i) if DPDK else "127.0.0.%d" % i

    def _link_tap(self, log_start):
        """dpdk: once the EAL made the port's tap and columbad started, give
        the kernel's side its addresses (.1 first: the primary, the default
        source) and bring it up. Returns early if columbad exits (the
        caller's wait reports it)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                return
            if link_exists(self.tap):
                with open(self.log_path, "rb") as f:
                    f.seek(log_start)
                    if b"comp=main event=started" in f.read():
                        break
            if time.monotonic() > deadline:
                raise AssertionError("no tap %s or no event=started after %.0f s; log:\n%s"
                                     % (self.tap, START_TIMEOUT, self.log()))
            time.sleep(0.02)
        try:
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % self.tap, "w") as f:
                f.write("1")   # no router solicitations or DAD into the stack
        except OSError:
            pass
        _ip("-batch", "-", stdin="".join("addr add %s/24 dev %s\n" % (self.client_ip(i), self.tap)
                                        for i in range(1, DPDK_CLIENT_IPS + 1)))
        _ip("link", "set", self.tap, "up")

    # ---- admin commands (only while columbad is not running) ----

    def admin(self, args, stdin_text=None, check=True):
        """Run `columbad <args>` with this daemon's configuration (state dir,
        --config, --set); returns the CompletedProcess. check: assert exit 0."""
        opts = self.args[1:]
        r = subprocess.run([COLUMBAD] + list(args) + opts, capture_output=True, text=True,
                           timeout=60, input=stdin_text if stdin_text is not None else "")
        if check and r.returncode != 0:
            raise AssertionError("columbad %s failed (%d): %s"
                                 % (" ".join(args), r.returncode, r.stderr))
        return r

    def add_user(self, name, password):
        """`columbad user add NAME` with the password on stdin."""
        self.admin(["user", "add", name], stdin_text=password + "\n")
        self.passwords[name] = password

    def issue_token(self, name):
        """`columbad token issue NAME`: the new token (43 characters)."""
        tok = self.admin(["token", "issue", name]).stdout.strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]{43}", tok):
            raise AssertionError("columbad token issue printed %r" % tok)
        return tok

    # ---- process ----

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=15.0, count=1):
        """Wait until the log has count lines matching the regex; return the last match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in (rx.search(l) for l in self.log().splitlines()) if m]
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError("no log line matching %r in time; log:\n%s"
                                     % (pattern, self.log()))
            if self.proc.poll() is not None:
                raise AssertionError("columbad exited (%s) before logging %r; log:\n%s"
                                     % (self.proc.returncode, pattern, self.log()))
            time.sleep(0.05)

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("columbad exited with %s at start; log:\n%s"
                                     % (self.proc.returncode, self.log()))
            try:
                st, body = self.admin_get("/healthz", timeout=2.0)
                if st == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("columbad not ready after %.0f s; log:\n%s"
                                     % (START_TIMEOUT, self.log()))
            time.sleep(0.05)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill9(self):
        """SIGKILL (no chance to flush or clean up) and reap; returns the exit code."""
        self.proc.send_signal(signal.SIGKILL)
        self.returncode = self.proc.wait(timeout=STOP_TIMEOUT)
        return self.returncode

    def restart(self, wait=True):
        """Start columbad again on the same state directory and ports, after it
        exited (stop() or kill9()). Its output is appended to the same log."""
        if self.proc.poll() is None:
            raise AssertionError("restart() while columbad is still running")
        # After a SIGKILL the kernel tears the io_uring instance down
        # asynchronously: its listening sockets outlive the reaped process by
        # some milliseconds, and columbad refuses a port that is still
        # listened on. Wait (bounded) until they are gone; should someone
        # else hold a port by then, _spawn() moves to new ones.
        deadline = time.monotonic() + 5.0
        while ((port_listening(self.port) or port_listening(self.admin_port)
                or port_listening(self.sip_port))
               and time.monotonic() < deadline):
            time.sleep(0.005)
        # dpdk: the old tap goes with the process that held it; the new
        # one (same name) is made and addressed again.
        while DPDK and link_exists(self.tap) and time.monotonic() < deadline:
            time.sleep(0.005)
        self.returncode = None
        self._log.write(b"---- restart ----\n")
        self._log.flush()
        self._spawn(wait)

    def stop(self):
        """SIGTERM; returns the exit code (and asserts nothing: see stop_ok)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("columbad did not stop within %.0f s of SIGTERM; log:\n%s"
                                 % (STOP_TIMEOUT, self.log()))
        return self.returncode

    def stop_ok(self, tc):
        rc = self.stop()
        tc.assertEqual(rc, 0, "columbad exit code after SIGTERM; log:\n" + self.log())
        tc.assertRegex(self.log(), r"event=stopped status=0")
        self.check_sanitizers(tc)

    def check_sanitizers(self, tc):
        rep = sanitizer_report(self.log())
        if rep:
            tc.fail("sanitizer report in columbad's log: %s\n%s" % (rep, self.log()))

    def close(self):
        """Kill if still running; remove the temporary directory."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- clients ----

    def admin_get(self, path, timeout=5.0, source=None):
        """Plain-HTTP GET on the admin listener: (status, body bytes)."""
        conn = http.client.HTTPConnection(self.host, self.admin_port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def metrics(self, source=None):
        """/metrics as {"name{labels}": float}."""
        st, body = self.admin_get("/metrics", source=source)
        if st != 200:
            raise AssertionError("/metrics answered %d" % st)
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def tls_context(self, cafile=None, alpn=None):
        ctx = ssl.create_default_context(cafile=cafile or self.cert)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx

    def tls_stream(self, host=None, ctx=None, timeout=10.0, source=None):
        """A TLS connection to the HTTPS listener at host (default: self.host);
        verifies the certificate for localhost."""
        raw = socket.create_connection((host or self.host, self.port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s = (ctx or self.tls_context()).wrap_socket(raw, server_hostname="localhost")
        return Stream(s)

    def sip_flow(self, host=None, timeout=10.0):
        """A TLS flow to the SIP listener at host (default: self.host;
        tests/integration/sip_client.py)."""
        import sip_client
        return sip_client.SipFlow(self.sip_port, self.cert, host=host or self.host,
                                  timeout=timeout)

    def tcp_stream(self, port=None, timeout=10.0, host=None):
        """A plain TCP stream to port (default: the HTTPS listener) at host
        (default: self.host)."""
        raw = socket.create_connection((host or self.host, port or self.port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Stream(raw)

    def curl_resolve(self, port=None):
        """curl options that take https://localhost:<port>/ to this daemon:
        none on loopback (localhost is there), --resolve to the stack's
        address in dpdk mode."""
        if not DPDK:
            return []
        return ["--resolve", "localhost:%d:%s" % (port or self.port, self.host)]

    def https_connection(self, host="localhost", timeout=10.0, source=None):
        """http.client over TLS to self.host, verifying the certificate for @host.
        The address is given, not looked up: a minimal Debian root (debootstrap)
        has no /etc/hosts, so "localhost" may not resolve there."""
        return _PinnedHTTPSConnection(self.host, host, self.port, timeout=timeout,
                                      context=self.tls_context(),
                                      source_address=(source, 0) if source else None)

    def api(self, method, path, token=None, body=None, headers=None, conn=None,
            content_type="application/json", source=None):
        """One request on the HTTPS listener with http.client. body: a dict
        (sent as JSON), bytes (sent as is) or None. token: a Bearer token.
        conn: an https_connection() to reuse (keep-alive); else a fresh one.
        Returns an ApiResponse (status, headers, raw body, .json())."""
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if body is not None:
            if isinstance(body, dict):
                body = json.dumps(body, ensure_ascii=False).encode()
            if content_type is not None:
                hdrs.setdefault("Content-Type", content_type)
        own = conn is None
        c = conn or self.https_connection(source=source)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return ApiResponse(r.status, r.getheaders(), r.read())
        finally:
            if own:
                c.close()

    def submit(self, token, to, text, conn=None, idem=None, **extra):
        """POST /v1/messages {"to", "text", ...}: an ApiResponse."""
        body = {"to": to, "text": text}
        body.update(extra)
        return self.api("POST", "/v1/messages", token=token, body=body, conn=conn,
                        headers={"Idempotency-Key": idem} if idem is not None else None)

    def login(self, user, password, conn=None, source=None):
        """POST /v1/tokens with HTTP Basic: an ApiResponse. source: a local
        address to connect from (login failures are also limited per address)."""
        cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        return self.api("POST", "/v1/tokens", headers={"Authorization": "Basic " + cred},
                        conn=conn, source=source)


class ApiResponse:
    """A response read by http.client: status, headers (list of (name, value)), body bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def json(self):
        return json.loads(self.body.decode())

    @property
    def error(self):
        """The JSON "error" member of an error answer (None if there is none)."""
        try:
            return self.json().get("error")
        except ValueError:
            return None

    def __repr__(self):
        return "ApiResponse(%d, %r, %r)" % (self.status, self.headers, self.body[:300])


class DaemonTestCase(unittest.TestCase):
    """A TestCase whose start() daemons are closed (and checked) at cleanup."""

    def start(self, **kw):
        d = Columbad(**kw)
        self.addCleanup(self._finish, d)
        return d

    def _finish(self, d):
        # Inside a cleanup, _outcome.success is always True (each cleanup runs
        # in its own testPartExecutor), so look for this test's failures in
        # the result (subtests included).
        try:
            res = self._outcome.result
            failed = any(t is self or getattr(t, "test_case", None) is self
                         for t, _ in res.failures + res.errors)
        except AttributeError:
            failed = False
        rep = sanitizer_report(d.log())
        if failed or rep:
            sys.stderr.write("---- columbad log (%s) ----\n%s---- end ----\n"
                             % (" ".join(d.args), d.log()))
        d.close()
        if rep:
            self.fail("sanitizer report in columbad's log: " + rep)


def main():
    """Run the calling module's tests; exit 77 (meson: skipped) if all were skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)
