"""A small SIP-over-TLS client for the integration tests (standard library only).

SipFlow wraps one TLS connection to columbad's SIP listener: it builds
requests (Via with a fresh branch, From/To/Call-ID/CSeq, Content-Length),
reads responses framed by Content-Length, and answers digest challenges
(RFC 7616 / RFC 8760 SHA-256, RFC 2617 MD5) with hashlib.
"""
import hashlib
import os
import re
import socket
import ssl
import time


def parse_auth_params(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> ("Digest", {"realm": "x", ...})."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for m in re.finditer(r'\s*([A-Za-z0-9_-]+)=("((?:[^"\\]|\\.)*)"|[^,\s]+)\s*,?', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return scheme, params


def _h(alg, data):
    return (hashlib.sha256 if alg == "SHA-256" else hashlib.md5)(data.encode()).hexdigest()


def digest_authorization(alg, user, password, realm, nonce, method, uri, nc=1, cnonce=None,
                         response=None):
    """An Authorization value for qop=auth; returns (value, cnonce)."""
    cnonce = cnonce or os.urandom(8).hex()
    ha1 = _h(alg, "%s:%s:%s" % (user, realm, password))
    ha2 = _h(alg, "%s:%s" % (method, uri))
    ncs = "%08x" % nc
    resp = response or _h(alg, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, ncs, cnonce, ha2))
    value = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
             'algorithm=%s, qop=auth, nc=%s, cnonce="%s"'
             % (user, realm, nonce, uri, resp, alg, ncs, cnonce))
    return value, cnonce


class SipResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name):
        vals = self.all(name)
        return vals[0] if vals else None

    def all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def __repr__(self):
        return "SipResponse(%d %s, %r)" % (self.status, self.reason, self.headers)


class SipRequest:
    """A request the server sent us (a MESSAGE being delivered)."""

    def __init__(self, method, ruri, headers, body, raw_head):
        self.method = method
        self.ruri = ruri
        self.headers = headers  # list of (lower-case name, value)
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        vals = self.all(name)
        return vals[0] if vals else None

    def all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def __repr__(self):
        return "SipRequest(%s %s, %r, %d body bytes)" % (self.method, self.ruri, self.headers,
                                                         len(self.body))


class SipFlow:
    """One TLS flow to the SIP listener."""

    def __init__(self, port, cafile, host="127.0.0.1", domain="localhost", timeout=10.0):
        ctx = ssl.create_default_context(cafile=cafile)
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.domain = domain
        self.buf = b""
        self.cseq = 0
        self.call_id = os.urandom(8).hex() + "@test"
        self.tag = os.urandom(4).hex()
        self.inbox = []  # requests from the server not yet taken

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, timeout):
        self.sock.settimeout(max(0.01, timeout))
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    def read_exact(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self._fill(deadline - time.monotonic())
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_one(self, deadline):
        """The next message from the server: SipResponse or SipRequest."""
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline - time.monotonic())
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("utf-8", "replace").split("\r\n")
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip().lower(), v.strip()))
        length = int(dict(headers).get("content-length", "0"))
        while len(self.buf) < length:
            self._fill(deadline - time.monotonic())
        body, self.buf = self.buf[:length], self.buf[length:]
        m = re.match(r"SIP/2\.0 (\d{3}) (.*)$", lines[0])
        if m:
            return SipResponse(int(m.group(1)), m.group(2), headers, body)
        m = re.match(r"([A-Z]+) (\S+) SIP/2\.0$", lines[0])
        if not m:
            raise AssertionError("bad start line %r" % lines[0])
        return SipRequest(m.group(1), m.group(2), headers, body, head)

    def read_response(self, timeout=10.0):
        """The next response; requests arriving first are kept in inbox."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_one(deadline)
            if isinstance(msg, SipResponse):
                return msg
            self.inbox.append(msg)

    def next_request(self, timeout=10.0):
        """The next request from the server (socket.timeout if none in time)."""
        if self.inbox:
            return self.inbox.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_one(deadline)
            if isinstance(msg, SipRequest):
                return msg

    def no_request(self, timeout):
        """True if no request arrives within timeout."""
        try:
            self.inbox.append(self.next_request(timeout))
            return False
        except (socket.timeout, TimeoutError):
            return True

    def answer(self, req, status, reason="OK"):
        """Answer a request from the server (dialog headers copied)."""
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        lines += ["Via: %s" % v for v in req.all("via")]
        lines += ["From: %s" % req.header("from"),
                  "To: %s;tag=%s" % (req.header("to"), self.tag),
                  "Call-ID: %s" % req.header("call-id"),
                  "CSeq: %s" % req.header("cseq"),
                  "Content-Length: 0"]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def closed_by_peer(self, timeout=10.0):
        """True once the server closed within timeout (bytes before it are ignored)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                return True
            if not data:
                return True
        return False

    def request_bytes(self, method, ruri=None, user="alice", to_user=None, headers=(),
                      body=b"", cseq=None, max_forwards=70):
        """A request from user to to_user (default: user) on this flow's dialog."""
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        to_user = to_user or user
        ruri = ruri or "sips:%s" % self.domain
        lines = ["%s %s SIP/2.0" % (method, ruri),
                 "Via: SIP/2.0/TLS client.invalid;branch=z9hG4bK%s" % os.urandom(6).hex(),
                 "Max-Forwards: %d" % max_forwards,
                 "From: <sips:%s@%s>;tag=%s" % (user, self.domain, self.tag),
                 "To: <sips:%s@%s>" % (to_user, self.domain),
                 "Call-ID: %s" % self.call_id,
                 "CSeq: %d %s" % (cseq, method)]
        lines += ["%s: %s" % h for h in headers]
        lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def request(self, method, **kw):
        self.send(self.request_bytes(method, **kw))
        return self.read_response()

    def register(self, user="alice", to_user=None, expires=None, contact=None,
                 authorization=None, headers=()):
        """One REGISTER; returns the response."""
        hdrs = [("Contact", contact or "<sips:%s@client.invalid;transport=tls>" % user)]
        if expires is not None:
            hdrs.append(("Expires", str(expires)))
        if authorization:
            hdrs.append(("Authorization", authorization))
        hdrs += list(headers)
        return self.request("REGISTER", user=user, to_user=to_user, headers=hdrs)

    def challenge(self, user="alice", alg="SHA-256"):
        """REGISTER without credentials: (401 response, params of the alg challenge)."""
        r = self.register(user=user)
        if r.status != 401:
            raise AssertionError("expected 401, got %r" % r)
        for v in r.all("www-authenticate"):
            scheme, p = parse_auth_params(v)
            if p.get("algorithm", "MD5").upper() == alg.upper():
                return r, p
        raise AssertionError("no %s challenge in %r" % (alg, r))

    def register_auth(self, password, user="alice", to_user=None, alg="SHA-256", expires=None,
                      contact=None, headers=(), params=None, nc=1, auth_user=None):
        """REGISTER answering a challenge (taken now unless params is given).
        Returns (response, challenge params)."""
        if params is None:
            _, params = self.challenge(user=user, alg=alg)
        uri = "sips:%s" % self.domain
        value, _ = digest_authorization(alg, auth_user or user, password, params["realm"],
                                        params["nonce"], "REGISTER", uri, nc=nc)
        r = self.register(user=user, to_user=to_user, expires=expires, contact=contact,
                          authorization=value, headers=headers)
        return r, params
