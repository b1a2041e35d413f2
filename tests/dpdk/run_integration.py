"""Run one tests/integration file with columbad on the dpdk backend.

    run_integration.py tests/integration/test_healthz.py [unittest args]

The file runs unchanged, inside a network namespace of its own (unshare
--net; gone when its last process exits) with COLUMBA_TEST_BACKEND=dpdk:
columba_test.py then starts every columbad with backend = dpdk on a net_tap
port, addresses the tap's kernel side and sends every client to the stack's
address (see tests/integration/README.md). Each file has its own namespace,
so meson runs them in parallel and tap names never collide.

Exits 77 (meson: skipped) without root, /dev/net/tun, a DPDK build
(COLUMBA_DPDK=1, which tests/dpdk/meson.build sets), the ip command or
unshare; otherwise with the file's status (77 too if it skipped everything).
"""
import os
import subprocess
import sys


def skip_reason():
    """Why this cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, tap devices)"
    if os.environ.get("COLUMBA_DPDK") != "1":
        return "columbad was built without DPDK"
    columbad = os.environ.get("COLUMBAD", "")
    if not columbad or not os.access(columbad, os.X_OK):
        return "COLUMBAD is not set"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    for tool in ("ip", "unshare", "curl", "openssl"):
        if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode:
            return "no %s command" % tool
    if subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode != 0:
        return "cannot create a network namespace (unshare --net)"
    return None


def inner(path, args):
    """In the new namespace: loopback up (free_port() binds 127.0.0.1),
    then the test file in dpdk mode."""
    r = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    if r.returncode != 0:
        print("ip link set lo up: " + r.stderr)
        return 1
    env = dict(os.environ, COLUMBA_TEST_BACKEND="dpdk")
    return subprocess.call([sys.executable, path] + args, env=env)


def main():
    if len(sys.argv) < 2:
        print("usage: run_integration.py TEST_FILE [unittest args]")
        return 2
    if sys.argv[1] == "--inner":
        return inner(sys.argv[2], sys.argv[3:])
    why = skip_reason()
    if why:
        print("SKIP: " + why)
        return 77
    # unshare(1) --net, not `ip netns exec`: the latter also remounts / and
    # /sys, which fails where / is not a mount point (a chroot, CI runners).
    return subprocess.call(["unshare", "--net", "--", sys.executable, os.path.abspath(__file__),
                            "--inner", os.path.abspath(sys.argv[1])] + sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
