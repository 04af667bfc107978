/**
 * The Content-Security-Policy the gateway sends with every `/console` response.
 * The page loads only its own bundled scripts, styles and fonts (system fonts),
 * talks only to its own origin, and may not be framed.
 *
 * @example
 * ```ts
 * reply.header('content-security-policy', CONSOLE_CSP);
 * ```
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The URL path prefix the console is built for and must be served under (trailing slash included). */
export const CONSOLE_BASE_PATH = '/console/';
