"""Helpers for the client's tests: a real columbad (tests/integration's
Columbad) and the `columba` CLI driven with subprocess, each client with its
own XDG directories and shrunk timings (COLUMBA_TEST_* variables).

COLUMBA (the CLI) and COLUMBAD (the daemon) come from the environment,
set by tests/client/meson.build."""
import hashlib
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import columba_test as ct  # noqa: E402,F401

COLUMBA = os.environ.get("COLUMBA", "")

# Fast defaults for tests; each test may override.
FAST = {
    "COLUMBA_TEST_SEND_TIMEOUT_MS": "3000",
    "COLUMBA_TEST_RETRY_PAUSE_MS": "50",
    "COLUMBA_TEST_KEEPALIVE_MS": "500",
}


def cert_pin(cert_path):
    """SHA-256 of the certificate in PEM file cert_path (hex)."""
    with open(cert_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


class Listener:
    """A running `columba listen`: its stdout lines, readable with wait()."""

    def __init__(self, proc):
        self.proc = proc
        self.stopped = None
        self.lines = []
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.proc.stdout:
            self.q.put(line.rstrip("\n"))

    def wait(self, pattern, timeout=20.0):
        """The first new stdout line matching pattern (regex), or AssertionError."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("listen printed no line matching %r; got %r"
                                     % (pattern, self.lines))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            self.lines.append(line)
            if rx.search(line):
                return line

    def stop(self):
        if self.stopped is not None:
            return self.stopped
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.t.join(timeout=10)
        err = self.proc.stderr.read() if self.proc.stderr else ""
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()
        self.stopped = err
        return err


class Client:
    """One user's `columba` with its own HOME and XDG directories."""

    def __init__(self, tc, user, env=None):
        if not COLUMBA or not os.access(COLUMBA, os.X_OK):
            raise RuntimeError("COLUMBA must name the columba executable (got %r)" % COLUMBA)
        self.tc = tc
        self.user = user
        self.home = tempfile.mkdtemp(prefix="columba-client-%s-" % user)
        tc.addCleanup(shutil.rmtree, self.home, True)
        self.env = dict(os.environ)
        self.env.update({"HOME": self.home,
                         "XDG_CONFIG_HOME": os.path.join(self.home, "cfg"),
                         "XDG_DATA_HOME": os.path.join(self.home, "data"),
                         "COLUMBA_LOG": "info"})
        self.env.update(FAST)
        self.env.update(env or {})
        self.listeners = []

    @property
    def data_dir(self):
        return os.path.join(self.home, "data", "columba")

    @property
    def config_dir(self):
        return os.path.join(self.home, "cfg", "columba")

    def run(self, args, input_text=None, timeout=120, env=None):
        e = dict(self.env)
        e.update(env or {})
        r = subprocess.run([COLUMBA] + list(args), input=input_text if input_text is not None else "",
                           capture_output=True, text=True, timeout=timeout, env=e)
        rep = ct.sanitizer_report(r.stderr)
        if rep:
            self.tc.fail("sanitizer report from columba %s: %s\n%s" % (args, rep, r.stderr))
        return r

    def login(self, d, password=None, pin=False, extra=(), server_port=None):
        args = ["login", "--server", "localhost:%d" % (server_port or d.port),
                "--sip", "localhost:%d" % d.sip_port,
                "--user", self.user]
        args += ["--pin", cert_pin(d.cert)] if pin else ["--cafile", d.cert]
        r = self.run(args + list(extra), input_text=(password or d.passwords[self.user]) + "\n")
        self.tc.assertEqual(r.returncode, 0, r.stderr)
        return r

    def set_server(self, port):
        """Point the stored configuration's HTTPS API at localhost:port."""
        path = os.path.join(self.config_dir, "config")
        with open(path) as f:
            text = f.read()
        text = re.sub(r"(?m)^server = .*$", "server = localhost:%d" % port, text)
        with open(path, "w") as f:
            f.write(text)

    def send(self, to, text, env=None):
        return self.run(["send", to, text], env=env)

    def listen(self, args=(), env=None, wait=True):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.Popen([COLUMBA, "listen"] + list(args), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        li = Listener(p)
        self.listeners.append(li)
        self.tc.addCleanup(self._stop_listener, li)
        if wait:
            li.wait(r"^Listening as ")
        return li

    def _stop_listener(self, li):
        err = li.stop()
        rep = ct.sanitizer_report(err)
        if rep:
            self.tc.fail("sanitizer report from columba listen: %s\n%s" % (rep, err))

    def store_bytes(self):
        """The bytes of the client's LMDB file."""
        with open(os.path.join(self.data_dir, "data.mdb"), "rb") as f:
            return f.read()

    def slots_bytes(self):
        with open(os.path.join(self.data_dir, "slots"), "rb") as f:
            return f.read()


class Proxy:
    """A TCP relay on 127.0.0.1:port to 127.0.0.1:target, for the client's
    HTTPS connections. While closed (start with listening=False, or after
    close_listener()), connections are refused. With drop_answers=N, the
    first N connections lose the server's answer: once the client sent its
    request (the first TLS application-data record of 150 bytes or more:
    the handshake's own records are smaller), nothing more reaches the
    client, and the connection is cut once cut_when(n) is true for the
    n-th connection (polled; at most 2.5 s), e.g. once the server counted
    the message. The client sees a lost answer and tries again."""

    def __init__(self, tc, target, drop_answers=0, listening=True, cut_when=None):
        self.target = target
        self.cut_when = cut_when or (lambda n: False)
        self.port = ct.free_port()
        self.drop_answers = drop_answers
        self.connections = 0
        self.log = []
        self.lsock = None
        self.lock = threading.Lock()
        if listening:
            self.open_listener()
        tc.addCleanup(self.close_listener)

    def open_listener(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        self.lsock = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def close_listener(self):
        if self.lsock:
            try:
                self.lsock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.lsock.close()
            self.lsock = None

    def _accept(self, lsock):
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                drop = self.connections <= self.drop_answers
            try:
                s = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            seen = threading.Event()
            self.log.append("conn %d drop=%s" % (self.connections, drop))
            threading.Thread(target=self._c2s, args=(c, s, seen, drop, self.log,
                                                     self._cutter(self.connections)),
                             daemon=True).start()
            threading.Thread(target=self._s2c, args=(s, c, seen), daemon=True).start()

    def _cutter(self, n):
        def cut(a, b):
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                try:
                    if self.cut_when(n):
                        break
                except Exception:  # noqa: BLE001 (the server may be busy)
                    pass
                time.sleep(0.02)
            Proxy._cut(a, b)
        return cut

    @staticmethod
    def _c2s(src, dst, seen, drop, log, cutter):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                if drop and not seen.is_set():
                    buf += data
                    while len(buf) >= 5:
                        n = int.from_bytes(buf[3:5], "big")
                        if len(buf) < 5 + n:
                            break
                        log.append("record %d %d" % (buf[0], n))
                        if buf[0] == 23 and n >= 150:
                            seen.set()
                            threading.Thread(target=cutter, args=(src, dst),
                                             daemon=True).start()
                        buf = buf[5 + n:]
        except OSError:
            pass
        Proxy._cut(src, dst)

    @staticmethod
    def _s2c(src, dst, seen):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not seen.is_set():
                    dst.sendall(data)
        except OSError:
            pass
        Proxy._cut(src, dst)

    @staticmethod
    def _cut(a, b):
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                x.close()
            except OSError:
                pass
