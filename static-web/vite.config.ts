import { defineConfig } from 'vite';
import { mockApi } from './dev/mock-api';

const root = new URL('.', import.meta.url).pathname;
const backend = process.env.FOREACT_API_URL ?? 'http://127.0.0.1:7071';
// FOREACT_MOCK_API=1 serves a built-in stand-in of the API (dev/mock-api.ts) instead of proxying.
const mock = Boolean(process.env.FOREACT_MOCK_API);
const proxy = mock
  ? undefined
  : {
      '/api': { target: backend, changeOrigin: false },
      '/.auth': { target: backend, changeOrigin: false },
    };

// Run from the repository root: `npm run web:dev` / `npm run web:build`.
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  plugins: mock ? [mockApi()] : [],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: true,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
});
