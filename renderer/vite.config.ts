// Vite build of the renderer: renderer/ → renderer/dist, relative asset paths (served by the Electron
// app protocol and by `berth dashboard`), no inline script or style, so the app's CSP holds as is.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** `npm run dev:renderer` forwards /api to a running `berth dashboard` (its URL without the token). */
const bridge = process.env.BERTH_DASHBOARD_URL ?? 'http://127.0.0.1:7780';

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Everything as files: no data: fonts or inline assets the CSP would refuse.
    assetsInlineLimit: 0,
    // The module preload polyfill would be the only code needing more than 'self'; modern engines have it.
    modulePreload: { polyfill: false },
    sourcemap: false,
    // One bundle read from the local disk (React, zod, xterm): size matters less than one file to serve.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '/api': { target: bridge, ws: true, changeOrigin: true, headers: { origin: bridge } },
    },
  },
});
