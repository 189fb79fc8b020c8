/**
 * Minimal OpenPGP signature packet reader (RFC 4880 §4.2, §5.2; RFC 9580 for v6 issuer
 * fingerprints) for the SIGPGP / RSAHEADER / DSAHEADER tags rpm copies into an installed header.
 * It reads only what identifies the signer: public-key and hash algorithm, creation time and
 * issuer key id. It never verifies anything.
 *
 *   packet header: old format 10tttt ll (1/2/4-byte length) | new format 11tttttt (1/2/5-byte length)
 *   v3 body: ver(3) 5 sigtype created(u32) keyid(8) pubalgo hashalgo ...
 *   v4 body: ver(4) sigtype pubalgo hashalgo hashedlen(u16) subpackets unhashedlen(u16) subpackets ...
 *   subpacket: len(1/2/5) type(1) data   — type 2 creation time, 16 issuer key id, 33 issuer fpr
 */
import { CorruptError, UnsupportedError } from '../../../engine/errors.js';
import { Cursor } from '../../bytes/cursor.js';

export interface PgpSignatureInfo {
  version: number;
  pubkeyAlgo: string;
  hashAlgo: string;
  /** Seconds since the epoch, when the packet carries a creation time. */
  created?: number;
  /** Lower-case hex issuer key id (16 digits). */
  keyId?: string;
}

const PUBKEY: Readonly<Record<number, string>> = {
  1: 'RSA',
  2: 'RSA',
  3: 'RSA',
  16: 'ELGAMAL',
  17: 'DSA',
  19: 'ECDSA',
  22: 'EdDSA',
};
const HASH: Readonly<Record<number, string>> = {
  1: 'MD5',
  2: 'SHA1',
  3: 'RIPEMD160',
  8: 'SHA256',
  9: 'SHA384',
  10: 'SHA512',
  11: 'SHA224',
};

function newLength(c: Cursor): number {
  const b = c.u8('length');
  if (b < 192) return b;
  if (b < 224) return ((b - 192) << 8) + c.u8('length') + 192;
  if (b === 255) return c.u32be('length');
  throw new UnsupportedError('pgp-partial-length', 'pgp: partial body lengths in a signature packet');
}

export function decodePgpSignature(bytes: Buffer, format = 'rpm/pgp'): PgpSignatureInfo {
  const c = new Cursor(bytes, { format, struct: 'pgp signature packet' });
  const b0 = c.u8('packet tag');
  if ((b0 & 0x80) === 0)
    throw new CorruptError(c.loc('packet tag', 0), `0x${b0.toString(16)}`, 'lacks', 'bit 7');
  let tag: number;
  let len: number;
  if (b0 & 0x40) {
    tag = b0 & 0x3f;
    len = newLength(c);
  } else {
    tag = (b0 >> 2) & 0x0f;
    const lt = b0 & 3;
    len =
      lt === 0 ? c.u8('length') : lt === 1 ? c.u16be('length') : lt === 2 ? c.u32be('length') : c.remaining;
  }
  if (tag !== 2) throw new CorruptError(c.loc('packet tag', 0), tag, '!=', 2);
  const body = c.sub(c.pos, Math.min(len, c.remaining), 'pgp signature body');
  const version = body.u8('version');
  if (version === 3 || version === 2) {
    body.skip(2, 'hashed length and type');
    const created = body.u32be('creation time');
    const keyId = body.bytes(8, 'key id').toString('hex');
    const pub = body.u8('pubkey algo');
    const hash = body.u8('hash algo');
    return {
      version,
      pubkeyAlgo: PUBKEY[pub] ?? `${pub}`,
      hashAlgo: HASH[hash] ?? `${hash}`,
      created,
      keyId,
    };
  }
  if (version !== 4 && version !== 5 && version !== 6) {
    throw new UnsupportedError('pgp-signature-version', `pgp: signature version ${version}`);
  }
  body.skip(1, 'signature type');
  const pub = body.u8('pubkey algo');
  const hash = body.u8('hash algo');
  const out: PgpSignatureInfo = {
    version,
    pubkeyAlgo: PUBKEY[pub] ?? `${pub}`,
    hashAlgo: HASH[hash] ?? `${hash}`,
  };
  // v6 uses 4-byte subpacket area lengths; v4/v5 use 2.
  for (const area of ['hashed', 'unhashed']) {
    const n = version === 6 ? body.u32be(`${area} length`) : body.u16be(`${area} length`);
    const sp = body.sub(body.pos, n, `${area} subpackets`);
    body.skip(n);
    // Every iteration consumes at least the length and type bytes: the loop ends.
    while (sp.remaining > 0) {
      const l = newLength(sp);
      if (l < 1) throw new CorruptError(sp.loc('subpacket length'), l, '<', 1);
      const type = sp.u8('subpacket type') & 0x7f;
      const d = sp.bytes(l - 1, 'subpacket data');
      if (type === 2 && d.length >= 4) out.created ??= d.readUInt32BE(0);
      else if (type === 16 && d.length === 8) out.keyId ??= d.toString('hex');
      else if (type === 33 && d.length >= 9) out.keyId ??= d.subarray(d.length - 8).toString('hex');
    }
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** rpm's `:pgpsig` style, in UTC: `RSA/SHA256, Thu Jan 27 09:02:11 2022, Key ID 0cd9fed33135ce90`. */
export function formatPgpSignature(s: PgpSignatureInfo): string {
  const parts = [`${s.pubkeyAlgo}/${s.hashAlgo}`];
  if (s.created !== undefined) {
    const d = new Date(s.created * 1000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    parts.push(
      `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
        `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`,
    );
  }
  if (s.keyId) parts.push(`Key ID ${s.keyId}`);
  return parts.join(', ');
}
