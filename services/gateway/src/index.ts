export { ConfigSchema, parseUpstreams } from './config.js';
