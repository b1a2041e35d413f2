"""Shared by the interop tests: the integration harness, tool checks, children
that are always stopped, and the way a legacy client reaches columbad's SIP
listener (see README.md)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import columba_test as ct  # noqa: E402

# Upper bound on every wait for something that normally takes milliseconds
# (sanitizer builds are slower); no test asserts a duration.
WAIT = 20.0


def require_tools(*tools):
    """Exit 77 (meson: skipped) naming the first program of tools not on PATH."""
    for tool, package in tools:
        if shutil.which(tool) is None:
            sys.stderr.write("SKIP: %s not found (Debian package %s); this interop test needs it\n"
                             % (tool, package))
            sys.exit(77)


def wait_for(what, predicate, timeout=WAIT, interval=0.05):
    """Poll predicate() until it returns something true; return that, or fail naming what."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def digest_sets():
    """The --set that makes columbad offer the MD5 challenge alone: the
    clients Debian ships stop at the first challenge they cannot answer
    (see README.md)."""
    return ["sip.digest_algorithms=MD5"]


class Child:
    """A child process with stdout and stderr in one file; stop() always reaps it."""

    def __init__(self, args, log_path, cwd=None, env=None, stdin_pipe=False):
        """stdin_pipe: give the child a pipe as stdin (kept open until stop())
        instead of /dev/null."""
        self.args = list(args)
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self._log,
                                     stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                     start_new_session=True)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_output(self, pattern, timeout=WAIT, flags=0):
        """Wait until the output matches the regex; return the match."""
        rx = re.compile(pattern, flags)

        def found():
            m = rx.search(self.output())
            if not m and self.proc.poll() is not None:
                raise AssertionError("%s exited (%s) before printing %r; output:\n%s"
                                     % (self.args[0], self.proc.returncode, pattern,
                                        self.output()[-4000:]))
            return m
        try:
            return wait_for("%r in %s's output" % (pattern, self.args[0]), found, timeout)
        except AssertionError as e:
            if "timed out" in str(e):
                raise AssertionError("%s; output:\n%s" % (e, self.output()[-4000:]))
            raise

    def wait(self, timeout):
        """Wait for the exit (bounded); return the exit code."""
        return self.proc.wait(timeout=timeout)

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        """Send sig, wait up to grace seconds, then SIGKILL; reap. Returns the exit code."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdin:
            self.proc.stdin.close()
        self._log.close()
        return self.proc.returncode


def submit_with_curl(d, token, to, text):
    """POST /v1/messages with curl (the token goes through curl's stdin
    config, not its command line): (HTTP status, parsed JSON body)."""
    import json
    body_path = os.path.join(d.tmp, "curl-body-%d.json" % time.monotonic_ns())
    with open(body_path, "w") as f:
        json.dump({"to": to, "text": text}, f, ensure_ascii=False)
    config = ('url = "https://localhost:%d/v1/messages"\n'
              'header = "Authorization: Bearer %s"\n'
              'header = "Content-Type: application/json"\n' % (d.port, token))
    r = subprocess.run(["curl", "-sS", "--max-time", "15", "--cacert", d.cert,
                        "--resolve", "localhost:%d:127.0.0.1" % d.port,
                        "--data-binary", "@" + body_path, "-w", "\n%{http_code}", "-K", "-"],
                       input=config, capture_output=True, text=True, timeout=30)
    os.unlink(body_path)
    if r.returncode != 0:
        raise AssertionError("curl failed (%d): %s" % (r.returncode, r.stderr))
    body, _, status = r.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else None


def wait_status(tc, d, token, mid, want="delivered", timeout=WAIT):
    """Poll GET /v1/messages/{mid} until its status is want; return the JSON.
    Fails at once if it reaches another final status."""
    last = {}

    def check():
        r = d.api("GET", "/v1/messages/" + mid, token=token)
        tc.assertEqual(r.status, 200, r)
        last["j"] = r.json()
        if last["j"]["status"] not in ("enqueued", want):
            raise AssertionError("message %s is %r, not %s" % (mid, last["j"], want))
        return last["j"] if last["j"]["status"] == want else None
    try:
        return wait_for("message %s %s" % (mid, want), check, timeout, interval=0.1)
    except AssertionError as e:
        raise AssertionError("%s (last status: %r)" % (e, last.get("j")))
