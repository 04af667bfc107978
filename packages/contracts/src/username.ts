import { Type } from '@sinclair/typebox';

/**
 * Text a client may send as a name or filter (a username as typed, an
 * address, a session id): no C0/C1 control character (NUL included, which
 * PostgreSQL refuses in text), no Unicode format character (bidi overrides,
 * zero-width joiners) and no lone surrogate.
 * Written so it means the same with and without the regex `u` flag (Ajv
 * compiles with it, TypeBox's `Value` without): a surrogate is accepted only
 * as the first half of a pair followed by its second half.
 */
export const PLAIN_TEXT_PATTERN = String.raw`^(?:[^\u0000-\u001F\u007F-\u009F\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$`;

/*
 * A canonical username: 1 to 64 of `a-z 0-9 . _ @ -`. ASCII only, so two
 * accounts can never look alike across scripts, and so the session hash
 * stays in Redis's compact encoding (every field under 64 bytes).
 */
const CANONICAL_USERNAME_PATTERN = /^[a-z0-9._@-]{1,64}$/;

/** A username in a request body or query: any spelling a person may type, never a control character. */
export const UsernameInputSchema = Type.String({ minLength: 1, maxLength: 128, pattern: PLAIN_TEXT_PATTERN });

/**
 * The one canonical form of a username, computed here and nowhere else (no
 * PostgreSQL `lower()`, no `toLowerCase()` elsewhere): Unicode NFKC, then a
 * full case fold, then NFKC again so the result is stable. Accounts are
 * stored, looked up, counted in Redis and shown in events under this form
 * only, so every spelling of one name (`ALICE`, `ａｌｉｃｅ`, `\u212Aate` for
 * `kate`, `straße` for `strasse`) reaches one account and one lockout
 * counter. PostgreSQL only compares with `=`, so the two cannot disagree.
 *
 * The fold is lower(upper(lower(s))) with final sigma folded to σ (the first
 * lowering turns capital sharp S ẞ into ß, which upper-casing spells SS): it
 * agrees with Unicode full case folding (CaseFolding.txt C+F) except that it
 * also folds dotless ı to i (coarser, which can only merge look-alikes).
 *
 * @example
 * ```ts
 * canonicalUsername('Stra\u00DFe'); // 'strasse'
 * canonicalUsername('\uFF21lice'); // 'alice'
 * ```
 */
export function canonicalUsername(name: string): string {
  const folded = name.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase();
  return folded.replaceAll('\u03C2', '\u03C3').normalize('NFKC');
}

/** Whether `name` is already in canonical form and fit to be stored as an account name. */
export function isCanonicalUsername(name: string): boolean {
  return CANONICAL_USERNAME_PATTERN.test(name);
}
