import { CliError, EXIT } from './errors.js';

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (fn: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      fn();
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(() => resolve(value));
        if (char === '\u0003') return finish(() => reject(new CliError('Cancelled.', 130)));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The new password: from standard input when it is not a terminal (first
 * line, e.g. `echo "$PW" | gatehouse users add alice`), else typed twice at a
 * hidden prompt.
 */
export async function readNewPassword(username: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const password = (await readAll(process.stdin)).split(/\r?\n/)[0] ?? '';
    if (password === '') throw new CliError('No password on standard input.', EXIT.usage);
    return password;
  }
  const first = await promptHidden(`Password for ${username}: `);
  const second = await promptHidden('Repeat the password: ');
  if (first !== second) throw new CliError('The passwords do not match.', EXIT.usage);
  return first;
}
