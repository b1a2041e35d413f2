"""A netem in user space: an Ethernet bridge between a kernel tap interface
it creates and another interface (read and written with AF_PACKET), that
loses, duplicates, delays and reorders frames like
`tc qdisc ... netem loss L reorder R duplicate D delay T`.

Why not tc netem itself: kernels without sch_netem (this project's CI
machines have none, and no modules to load) answer "Specified qdisc kind is
unknown". test_dpdk_backend.py uses tc netem where it exists and this
otherwise.

Usage: impair.py TAPNAME IFNAME LOSS REORDER DUP DELAY_MS SEED
Each direction, each frame: dropped with probability LOSS; otherwise sent
at once with probability REORDER (overtaking delayed frames, netem's
"reorder") or after DELAY_MS; and once more, with probability DUP, after the
same delay. The random generator is seeded: a run is reproducible as far as
timing allows. Prints "ready" once the tap exists; runs until killed (or
until its stdin closes), then prints the counts.
"""
import errno
import fcntl
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    tap_name, if_name = sys.argv[1], sys.argv[2]
    loss, reorder, dup = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    delay = float(sys.argv[6]) / 1000.0
    rng = random.Random(int(sys.argv[7]))
    tap = open_tap(tap_name)
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    pk.bind((if_name, 0))
    pk.setblocking(False)
    pk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    pk.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    counts = {"in": 0, "lost": 0, "dup": 0, "early": 0, "out": 0, "down": 0}
    heap = []  # (due, seq, out, frame)
    seq = 0
    print("ready", flush=True)

    def schedule(frame, out):
        nonlocal seq
        counts["in"] += 1
        if rng.random() < loss:
            counts["lost"] += 1
            return
        now = time.monotonic()
        copies = 2 if rng.random() < dup else 1
        counts["dup"] += copies - 1
        for i in range(copies):
            early = i == 0 and rng.random() < reorder
            counts["early"] += early
            heapq.heappush(heap, (now if early else now + delay, seq, out, frame))
            seq += 1

    def send(out, frame):
        try:
            if out == "tap":
                os.write(tap, frame)
            else:
                pk.send(frame)
            counts["out"] += 1
        except OSError:
            pass  # a full queue: the frame is lost, as on a wire

    try:
        while True:
            now = time.monotonic()
            while heap and heap[0][0] <= now:
                _, _, out, frame = heapq.heappop(heap)
                send(out, frame)
            timeout = max(0.0, heap[0][0] - now) if heap else 0.5
            r, _, _ = select.select([tap, pk, sys.stdin], [], [], timeout)
            if sys.stdin in r and not sys.stdin.buffer.read1(4096):
                break
            if tap in r:
                for _ in range(64):
                    try:
                        schedule(os.read(tap, 65536), "pk")
                    except BlockingIOError:
                        break
            if pk in r:
                for _ in range(64):
                    try:
                        frame, addr = pk.recvfrom(65536)
                    except BlockingIOError:
                        break
                    except OSError as e:
                        # The port's interface went down (columbad stopped
                        # or restarts): the kernel reports it once on the
                        # socket; frames flow again when it is back up.
                        if e.errno != errno.ENETDOWN:
                            raise
                        counts["down"] += 1
                        break
                    if addr[2] != PACKET_OUTGOING:  # not our own writes
                        schedule(frame, "tap")
    except KeyboardInterrupt:
        pass
    print("impair " + " ".join("%s=%d" % kv for kv in counts.items()), flush=True)


if __name__ == "__main__":
    main()
