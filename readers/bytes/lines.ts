/**
 * The one line splitter for the text package databases (dpkg status and other deb822 files, apk's
 * installed database): LF-terminated lines with an optional CR before the LF, positions kept for
 * error offsets, and no string made for a line longer than the caller's maximum (a hostile database
 * can hold one 100 MiB line; it is reported, not decoded).
 */

export interface Line {
  /** 1-based line number. */
  readonly no: number;
  /** Byte offset of the line's first byte in the buffer. */
  readonly start: number;
  /** Length in bytes, without the LF and without a CR just before it. */
  readonly len: number;
  /** The line as UTF-8 text, or undefined when `len` is above `maxLineBytes`. */
  readonly text: string | undefined;
}

export function* splitLines(bytes: Buffer, maxLineBytes: number): Generator<Line> {
  let pos = 0;
  let no = 0;
  while (pos < bytes.length) {
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) end = bytes.length;
    const start = pos;
    pos = end + 1;
    no++;
    let len = end - start;
    if (len > 0 && bytes[end - 1] === 0x0d) len--; // tolerate CRLF
    yield {
      no,
      start,
      len,
      text: len <= maxLineBytes ? bytes.toString('utf8', start, start + len) : undefined,
    };
  }
}
