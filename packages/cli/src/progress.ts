/** Progress of a long run on stderr, so stdout stays clean for pipes and `--json`. */
export interface Progress {
  update(message: string): void;
  done(message?: string): void;
}

/**
 * Reports progress on stderr at most every `GATEHOUSE_PROGRESS_MS` (default
 * 1000 ms) and only after the run has taken that long, so short runs print
 * nothing. On a terminal the line is rewritten in place.
 */
export function createProgress(env: NodeJS.ProcessEnv = process.env): Progress {
  const everyMs = Number(env.GATEHOUSE_PROGRESS_MS ?? 1000);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let last = started;
  let shown = false;
  return {
    update(message) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      shown = true;
      process.stderr.write(tty ? `\r\x1b[K${message}` : `${message}\n`);
    },
    done(message) {
      if (shown && tty) process.stderr.write('\r\x1b[K');
      if (message && (shown || Date.now() - started >= everyMs)) process.stderr.write(`${message}\n`);
    },
  };
}
