import { describe, expect, it } from 'vitest';
import { splitLines } from '../../../readers/bytes/lines.js';

describe('readers/bytes/lines', () => {
  it.each([
    { name: 'empty', input: '', max: 10, want: [] },
    { name: 'single, no trailing newline', input: 'a', max: 10, want: [[1, 0, 1, 'a']] },
    { name: 'trailing newline adds no line', input: 'a\n', max: 10, want: [[1, 0, 1, 'a']] },
    {
      name: 'CRLF stripped, offsets kept',
      input: 'ab\r\ncd\r\n',
      max: 10,
      want: [
        [1, 0, 2, 'ab'],
        [2, 4, 2, 'cd'],
      ],
    },
    {
      name: 'blank lines',
      input: '\n\nx',
      max: 10,
      want: [
        [1, 0, 0, ''],
        [2, 1, 0, ''],
        [3, 2, 1, 'x'],
      ],
    },
    { name: 'a line at the limit is text', input: 'abcd\n', max: 4, want: [[1, 0, 4, 'abcd']] },
    {
      name: 'a line above the limit is not decoded',
      input: 'abcde\nf',
      max: 4,
      want: [
        [1, 0, 5, undefined],
        [2, 6, 1, 'f'],
      ],
    },
  ])('$name', ({ input, max, want }) => {
    expect([...splitLines(Buffer.from(input), max)].map((l) => [l.no, l.start, l.len, l.text])).toEqual(want);
  });
});
