import { defineConfig } from 'vite';
import { CONSOLE_BASE_PATH, CONSOLE_CSP } from './src/csp.ts';

// Built for the gateway, which serves dist/web under /console/ with CONSOLE_CSP: no inline
// scripts or styles, no external URLs, every asset under /console/assets/.
// `vite preview` stands in for the gateway: same CSP, API calls proxied to a running stack.
const gateway = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080';
const proxy = { '/auth': gateway, '/audit': gateway };

export default defineConfig({
  base: CONSOLE_BASE_PATH,
  resolve: { conditions: ['gatehouse-source'] },
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: { proxy },
  preview: { proxy, headers: { 'content-security-policy': CONSOLE_CSP } },
});
