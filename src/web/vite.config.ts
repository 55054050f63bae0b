import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** This folder, wherever the build is started from (`vite build --config src/web/vite.config.ts`). */
const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Builds the page into `dist/web/` (index.html + hashed files under `assets/`), which
 * `src/api/static.ts` serves at `/` and `/assets/*`. Everything is bundled: nothing is loaded from
 * a CDN at run time. `npx vite --config src/web/vite.config.ts` serves the page with hot reload and
 * proxies the API to `DISTILL_API` (default http://127.0.0.1:3000).
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsDir: 'assets',
  },
  server: {
    proxy: {
      '/v1': { target: process.env.DISTILL_API ?? 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
});
