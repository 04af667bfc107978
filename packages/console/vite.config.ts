import { defineConfig } from 'vite';

// Built for the gateway, which serves dist/web under /console/ with the CSP from src/csp.ts:
// no inline scripts or styles, no external URLs, every asset under /console/assets/.
export default defineConfig({
  base: '/console/',
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
  server: {
    proxy: {
      '/auth': process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080',
      '/audit': process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080',
    },
  },
});
