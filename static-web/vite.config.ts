import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;
const backend = process.env.FOREACT_API_URL ?? 'http://127.0.0.1:7071';

// Run from the repository root: `npm run web:dev` / `npm run web:build`.
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: true,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: false,
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/.auth': { target: backend, changeOrigin: false },
    },
  },
  preview: { host: '127.0.0.1', port: 4173 },
});
