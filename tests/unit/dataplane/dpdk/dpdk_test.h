/*
 * Helpers shared by the DPDK port tests: who may run them (root, DPDK
 * present), the EAL set-up for the two memory modes (--no-huge, or 2 MB
 * hugepages reserved here and given back at exit), crafted frames and
 * AF_PACKET sockets on the kernel side of a tap.
 *
 * Every test program takes one argument: "nohuge" or "huge". It exits 77
 * (meson's "skipped") with a message when it cannot run here.
 */
#ifndef COLUMBA_TESTS_DPDK_TEST_H
#define COLUMBA_TESTS_DPDK_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_SKIP 77
#define DT_ETHERTYPE 0x88b5 /* IEEE local experimental: nothing else sends it */

/*
 * dt_start - check privileges, reserve hugepages in "huge" mode, and start
 * the EAL with "-l 0 --no-pci --no-telemetry <memory> <vdevs>"
 * where <memory> is "--no-huge --no-shconf -m 512" or "--in-memory -m 256".
 * Returns 0, or DT_SKIP after printing why (the caller exits with it).
 * Aborts the test (exit 1) when the EAL fails for another reason.
 */
int dt_start(int argc, char **argv, const char *vdevs);

/* dt_stop - dpdk_eal_fini() and give the hugepages back. */
void dt_stop(void);

/* "hugepages" or "no-huge", for messages. */
const char *dt_mode(void);

/*
 * dt_frame - write a len-byte Ethernet frame (len >= 20) of type
 * DT_ETHERTYPE from src to dst into buf whose payload starts with seq
 * (big endian) followed by a pattern derived from seq.
 */
void dt_frame(uint8_t *buf, size_t len, const uint8_t dst[6], const uint8_t src[6], uint32_t seq);

/* dt_sh - run a shell command; fail the test when it exits non-zero. */
void dt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * dt_packet_socket - an AF_PACKET raw socket bound to ifname receiving
 * ethertype proto (ETH_P_ALL for all), non-blocking, with a receive buffer
 * of rcvbuf bytes. Returns the fd; fails the test on error.
 */
int dt_packet_socket(const char *ifname, uint16_t proto, int rcvbuf);

/* dt_ifmac - the kernel interface's MAC address into mac. */
void dt_ifmac(const char *ifname, uint8_t mac[6]);

/* dt_ifindex - the kernel interface's index. */
int dt_ifindex(const char *ifname);

/* dt_kernel_drops - packets the socket's owner dropped (PACKET_STATISTICS; resets them). */
unsigned dt_kernel_drops(int fd);

#endif
