#!/usr/bin/env python3
"""Figures of one bench/sip/run-kamailio run, from the sipp logs (-trace_logs).

Sender log (bench/peers/kamailio/sender.xml), one line per final answer:
    "200 DATE TIME EPOCH N" or "202 DATE TIME EPOCH N"
Receiver log (receiver.xml and receiver-msg.xml):
    "regsend DATE TIME EPOCH USER", "reg DATE TIME EPOCH USER",
    "rx DATE TIME EPOCH ts=DATE TIME EPOCH n=N"
EPOCH is sipp's [timestamp]: seconds.microseconds since the epoch. Both sipp processes
run on the same machine, so a receipt time minus the send time in the body is the
one-way end-to-end latency (send -> MESSAGE parsed at the receiver).

Usage: sipp_stats.py MODE TX_LOG RX_LOG SENT
MODE is "online" or "offline"; SENT is the number of MESSAGEs the sender created.
Prints "key value" lines (times in ms, rates per second) for the runner to format.
"""
import sys


def pct(sorted_vals, p):
    """Nearest-rank percentile p (0..100) of a sorted list; 0 for an empty one."""
    if not sorted_vals:
        return 0.0
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def read_tx(path):
    answers = {}  # n -> (code, epoch)
    extra = 0     # a second final answer for one n: a sipp or proxy fault
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if len(w) != 5 or w[0] not in ("200", "202"):
                continue
            n = int(w[4])
            if n in answers:
                extra += 1
            answers[n] = (w[0], float(w[3]))
    return answers, extra


def read_rx(path):
    rx = {}        # n -> (sent epoch, first receipt epoch)
    dups = 0
    regsend = []
    reg = []
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "rx" and len(w) == 8 and w[7].startswith("n="):
                n = int(w[7][2:])
                if n in rx:
                    dups += 1
                    continue
                rx[n] = (float(w[6]), float(w[3]))
            elif w[0] == "regsend" and len(w) >= 4:
                regsend.append(float(w[3]))
            elif w[0] == "reg" and len(w) >= 4:
                reg.append(float(w[3]))
    return rx, dups, regsend, reg


def out(key, val):
    if isinstance(val, float):
        print(f"{key} {val:.3f}")
    else:
        print(f"{key} {val}")


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("online", "offline"):
        sys.stderr.write(__doc__)
        return 2
    mode, tx_path, rx_path, sent = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    answers, extra = read_tx(tx_path)
    rx, dups, regsend, reg = read_rx(rx_path)
    ok200 = sum(1 for c, _ in answers.values() if c == "200")
    ok202 = sum(1 for c, _ in answers.values() if c == "202")
    out("sent", sent)
    out("answered_200", ok200)
    out("answered_202", ok202)
    out("no_or_bad_answer", sent - ok200 - ok202)
    out("extra_answers", extra)
    out("received", len(rx))
    out("duplicates", dups)
    # a MESSAGE the receivers never saw; in offline mode every stored one must come out
    wanted = {n for n, (c, _) in answers.items() if c == "200" or mode == "offline"}
    out("lost", len(wanted - rx.keys()))
    out("unexpected", len(rx.keys() - answers.keys()))
    out("registered", len(reg))

    if mode == "online":
        if rx:
            first_sent = min(s for s, _ in rx.values())
            last_rx = max(r for _, r in rx.values())
            span = max(last_rx - first_sent, 1e-6)
            out("span_s", span)
            out("delivered_per_s", len(rx) / span)
        lat = sorted((r - s) * 1000.0 for s, r in rx.values())
        out("e2e_p50_ms", pct(lat, 50))
        out("e2e_p99_ms", pct(lat, 99))
        out("e2e_max_ms", lat[-1] if lat else 0.0)
        # the sender's view: MESSAGE sent -> the relayed 200 back at the sender
        rtt = sorted((answers[n][1] - s) * 1000.0 for n, (s, _) in rx.items()
                     if n in answers and answers[n][0] == "200")
        out("rtt_p50_ms", pct(rtt, 50))
        out("rtt_p99_ms", pct(rtt, 99))
    else:
        stored = [t for c, t in answers.values() if c == "202"]
        if stored:
            # store phase: the first send (the earliest send time seen in a body, else
            # the first 202) to the last 202; dump phase: the first REGISTER sent to the
            # last receipt
            first_sent = min([s for s, _ in rx.values()] + [min(stored)])
            span = max(max(stored) - first_sent, 1e-6)
            out("store_span_s", span)
            out("stored_per_s", len(stored) / span)
        if regsend and rx:
            t0 = min(regsend)
            span = max(max(r for _, r in rx.values()) - t0, 1e-6)
            out("dump_span_s", span)
            out("dumped_per_s", len(rx) / span)
            lat = sorted((r - t0) * 1000.0 for _, r in rx.values())
            out("dump_p50_ms", pct(lat, 50))
            out("dump_p99_ms", pct(lat, 99))
    return 0


if __name__ == "__main__":
    sys.exit(main())
