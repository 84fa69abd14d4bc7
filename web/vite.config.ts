import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web dashboard: `npm run build:web` writes web/dist/, which `npm start` serves at `/`.
 * `npm run dev:web` serves it with hot reload and sends /graphql to a gateway on :4000.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/graphql': process.env.GATEWAY_URL ?? 'http://localhost:4000' },
  },
});
