#!/usr/bin/env python3
"""Tests of sipp_stats.py on hand-made sipp logs: python3 bench/sip/test_sipp_stats.py"""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the tree
import sipp_stats  # noqa: E402


def ts(epoch):
    """sipp's [timestamp]: date, time and seconds.microseconds since the epoch."""
    return "2026-11-27\t17:00:00.000000\t%.6f" % epoch


def run(mode, tx_lines, rx_lines, sent):
    with tempfile.TemporaryDirectory() as d:
        tx, rx = os.path.join(d, "tx.log"), os.path.join(d, "rx.log")
        with open(tx, "w") as f:
            f.write("".join(line + "\n" for line in tx_lines))
        with open(rx, "w") as f:
            f.write("".join(line + "\n" for line in rx_lines))
        out = subprocess.run([sys.executable, os.path.join(HERE, "sipp_stats.py"), mode, tx, rx,
                              str(sent)], check=True, capture_output=True, text=True).stdout
    return dict(line.split() for line in out.splitlines())


def rx(recv, sent, n):
    return "rx %s ts=%s n=%d" % (ts(recv), ts(sent), n)


class Percentile(unittest.TestCase):
    def test_nearest_rank(self):
        vals = [float(v) for v in range(1, 101)]
        self.assertEqual(sipp_stats.pct(vals, 50), 50.0)
        self.assertEqual(sipp_stats.pct(vals, 99), 99.0)
        self.assertEqual(sipp_stats.pct(vals, 100), 100.0)
        self.assertEqual(sipp_stats.pct([7.0], 99), 7.0)
        self.assertEqual(sipp_stats.pct([], 50), 0.0)


class Online(unittest.TestCase):
    def test_counts_latency_losses_and_duplicates(self):
        tx = ["200 %s 1" % ts(100.002), "200 %s 2" % ts(100.013), "200 %s 3" % ts(100.020),
              "202 %s 4" % ts(100.030)]
        rxl = ["reg %s user00001" % ts(99.0),
               rx(100.001, 100.000, 1),  # 1 ms
               rx(100.012, 100.010, 2),  # 2 ms
               rx(100.013, 100.010, 2)]  # a duplicate of 2; 3 never arrives
        v = run("online", tx, rxl, 5)
        self.assertEqual(v["sent"], "5")
        self.assertEqual(v["answered_200"], "3")
        self.assertEqual(v["answered_202"], "1")
        self.assertEqual(v["no_or_bad_answer"], "1")
        self.assertEqual(v["received"], "2")
        self.assertEqual(v["duplicates"], "1")
        self.assertEqual(v["lost"], "1")
        self.assertEqual(v["unexpected"], "0")
        self.assertEqual(v["registered"], "1")
        self.assertAlmostEqual(float(v["e2e_p50_ms"]), 1.0, places=2)
        self.assertAlmostEqual(float(v["e2e_p99_ms"]), 2.0, places=2)
        self.assertAlmostEqual(float(v["rtt_p50_ms"]), 2.0, places=2)  # 100.002 - 100.000
        self.assertAlmostEqual(float(v["span_s"]), 0.012, places=3)

    def test_receipt_never_sent(self):
        v = run("online", ["200 %s 1" % ts(10.5)], [rx(10.4, 10.0, 1), rx(10.6, 10.1, 9)], 1)
        self.assertEqual(v["unexpected"], "1")
        self.assertEqual(v["lost"], "0")

    def test_second_answer(self):
        v = run("online", ["200 %s 1" % ts(10.5), "200 %s 1" % ts(10.6)], [rx(10.4, 10.0, 1)], 1)
        self.assertEqual(v["extra_answers"], "1")


class Offline(unittest.TestCase):
    def test_store_and_dump_rates(self):
        tx = ["202 %s %d" % (ts(100.0 + n / 10.0), n) for n in range(1, 5)]  # last 202 at 100.4
        rxl = ["regsend %s user00001" % ts(200.0), "reg %s user00001" % ts(200.01)]
        rxl += [rx(200.1 + n / 10.0, 100.0 + n / 10.0 - 0.1, n) for n in range(1, 4)]  # 4 lost
        v = run("offline", tx, rxl, 4)
        self.assertEqual(v["answered_202"], "4")
        self.assertEqual(v["received"], "3")
        self.assertEqual(v["lost"], "1")
        self.assertAlmostEqual(float(v["store_span_s"]), 0.4, places=3)  # 100.0 -> 100.4
        self.assertAlmostEqual(float(v["stored_per_s"]), 10.0, places=1)
        self.assertAlmostEqual(float(v["dump_span_s"]), 0.4, places=3)  # 200.0 -> 200.4
        self.assertAlmostEqual(float(v["dumped_per_s"]), 7.5, places=1)


if __name__ == "__main__":
    unittest.main()
