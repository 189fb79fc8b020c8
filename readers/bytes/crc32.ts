/**
 * CRC32 (IEEE 802.3, reflected, poly 0xEDB88320: GPT, zip) and CRC32C (Castagnoli, reflected,
 * poly 0x82F63B78: ext4 metadata_csum, XFS v5). Table-driven; `seed` allows chaining.
 */
function makeTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (poly ^ (c >>> 1)) >>> 0 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

const IEEE = makeTable(0xedb88320);
const CASTAGNOLI = makeTable(0x82f63b78);

function update(table: Uint32Array, crc: number, data: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** Standard CRC32 (init ~0, final xor ~0). Pass a previous result as `prev` to continue. */
export function crc32(data: Uint8Array, prev = 0): number {
  return (update(IEEE, ~prev >>> 0, data) ^ 0xffffffff) >>> 0;
}

/** Standard CRC32C (init ~0, final xor ~0). Pass a previous result as `prev` to continue. */
export function crc32c(data: Uint8Array, prev = 0): number {
  return (update(CASTAGNOLI, ~prev >>> 0, data) ^ 0xffffffff) >>> 0;
}
