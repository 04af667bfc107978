export { ensureConsoleBuilt } from './build.js';
export { CONSOLE_BASE_PATH, CONSOLE_CSP } from './csp.js';
export { consoleDistPath } from './dist-path.js';
