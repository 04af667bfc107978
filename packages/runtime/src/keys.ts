import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An Ed25519 key pair loaded from PEM. */
export interface Ed25519KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * Loads an Ed25519 private key (PKCS#8 PEM) from `path`. When the file is
 * missing and `generate` is set (a developer's machine), a new key is written
 * there with mode 0600 first; in production keys come from mounted secrets.
 *
 * @example
 * ```ts
 * const keys = await loadEd25519Key('.gatehouse/keys/jwt-signing.pem', { generate: true });
 * ```
 */
export async function loadEd25519Key(path: string, options: { generate: boolean }): Promise<Ed25519KeyPair> {
  if (!existsSync(path)) {
    if (!options.generate) throw new Error(`Key file ${path} does not exist`);
    const { privateKey } = generateKeyPairSync('ed25519');
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  const privateKey = createPrivateKey(await readFile(path));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`Key file ${path} is not an Ed25519 key`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Loads an Ed25519 public key (SPKI PEM) from `path`. */
export async function loadEd25519PublicKey(path: string): Promise<KeyObject> {
  const key = createPublicKey(await readFile(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`Key file ${path} is not an Ed25519 key`);
  return key;
}
