// The manager's browser (web/): built into web/dist, which the service serves at /.
// `npm run dev:web` serves it with hot reload and forwards the API and socket.io to a running service
// (CTI_DEV_API, default http://127.0.0.1:3000).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env['CTI_DEV_API'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // Preact's JSX through esbuild alone: no framework plugin needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  // No source maps in dist: the service would publish the sources (it refuses *.map anyway, src/http/web-app.ts).
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': api,
      '/socket.io': { target: api, ws: true },
    },
  },
});
