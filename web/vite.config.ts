import { defineConfig } from 'vitest/config';

// The Go server (default :5230) serves the API and, in production, this UI.
// In development Vite serves the UI and forwards API and file requests.
const backend = process.env.MEMORIA_BACKEND ?? 'http://localhost:5230';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  server: {
    proxy: {
      '/memoria.v1.': { target: backend, changeOrigin: true },
      '/file/': { target: backend, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
