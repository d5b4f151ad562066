/**
 * CRC-32 (IEEE 802.3, polynomial 0xEDB88320), table-driven. Node 20 has no `zlib.crc32` (it
 * arrived in 22.2), so the venue checksums use this. Input is the ASCII text venues specify.
 */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** CRC-32 of an ASCII/Latin-1 string as an unsigned 32-bit integer. */
export function crc32(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) c = TABLE[(c ^ text.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** CRC-32 as a signed 32-bit integer (OKX's form). */
export function crc32Signed(text: string): number {
  return crc32(text) | 0;
}
