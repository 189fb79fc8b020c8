/**
 * Progress on a terminal: one line on stderr, rewritten in place, throttled; silent when stderr is
 * not a TTY (CI logs, pipes) or when quiet.
 */
export interface Progress {
  update(msg: string): void;
  done(): void;
}

export function makeProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet || !stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(msg: string) {
      const t = Date.now();
      if (t - last < 80) return;
      last = t;
      const width = (stream.columns ?? 80) - 1;
      stream.write(`\r\x1b[2K${msg.slice(0, width)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
