import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A 256-bit AES-GCM key that seals second-factor secrets at rest. */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

const VERSION = 'v1';

/**
 * Loads the key file (32 random bytes, base64, one line); with `generate` a
 * missing file is written first with mode 0600, as for the signing key.
 *
 * @example
 * ```ts
 * const box = await loadSecretBox('.gatehouse/keys/mfa-secrets.key', { generate: true });
 * const sealed = box.seal(totpSecret, userId);
 * ```
 */
export async function loadSecretBox(path: string, options: { generate: boolean }): Promise<SecretBox> {
  if (!existsSync(path)) {
    if (!options.generate) throw new Error(`Key file ${path} does not exist`);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  if (key.length !== 32) throw new Error(`Key file ${path} must hold 32 bytes in base64`);
  return createSecretBox(key);
}

/**
 * Seals with AES-256-GCM, a fresh 96-bit nonce each time, and `context` (the
 * user id) as associated data, so a sealed secret copied onto another user's
 * row does not open.
 */
export function createSecretBox(key: Buffer): SecretBox {
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, context) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('unknown sealed secret format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
        .setAAD(Buffer.from(context))
        .setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
