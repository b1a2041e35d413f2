/*
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78), the
 * checksum of every WAL record. Uses the SSE4.2 crc32 instruction when the
 * CPU has it (checked once at run time), a slice-by-8 table otherwise.
 */
#ifndef COLUMBA_STORAGE_CRC32C_H
#define COLUMBA_STORAGE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * st_crc32c - extend crc over len bytes of buf.
 * @crc: 0 to start; the result of a previous call to continue a running CRC.
 * Returns the CRC-32C of everything fed so far (standard pre/post inversion,
 * so st_crc32c(0, "123456789", 9) == 0xE3069283).
 */
uint32_t st_crc32c(uint32_t crc, const void *buf, size_t len);

/* st_crc32c_sw - the table implementation, exported so tests compare both. */
uint32_t st_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* st_crc32c_hw_available - true when st_crc32c uses the SSE4.2 instruction. */
int st_crc32c_hw_available(void);

#endif
