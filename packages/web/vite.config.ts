import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const server = process.env.SPOT_API_URL ?? 'http://127.0.0.1:8080';

// `base: './'` keeps asset URLs relative, so the bundle works wherever the server mounts it.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': { target: server, changeOrigin: false },
      '/ws': { target: server, ws: true },
      '/health': { target: server },
    },
  },
});
