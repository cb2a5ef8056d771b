import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true, // No source maps in the shipped UI: they would publish the source to anyone who loads the page.
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
});
