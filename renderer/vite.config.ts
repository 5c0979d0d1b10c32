import { defineConfig } from 'vite';
import path from 'node:path';

// No @vitejs/plugin-react: esbuild's automatic JSX runtime is all the build needs.
export default defineConfig({
  root: __dirname,
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: path.resolve(__dirname, '../dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      // Radix ships "use client" directives for React Server Components; they mean nothing in this bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
