export { ensureConsoleBuilt, isConsoleFresh } from './build.js';
export { CONSOLE_BASE_PATH, CONSOLE_CSP } from './csp.js';
export { consoleDistPath, isConsoleBuilt } from './dist-path.js';
