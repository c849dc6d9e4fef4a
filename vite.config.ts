/**
 * Vite build of the Svelte renderer (renderer/ -> dist/renderer/).
 *
 * The output must run under the app's CSP (`default-src 'none'; script-src 'self'; style-src 'self';
 * img-src 'self' data:`, plus connect-src for the loopback WebSocket in browser mode), so: no inline
 * scripts (module-preload polyfill off), component CSS emitted to .css files (never injected <style>),
 * no source maps in production, relative asset URLs (served from a custom protocol or loopback).
 */
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('./renderer', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer', import.meta.url));

/**
 * Defence in depth: the built page also carries the CSP as a meta tag (main sets it as a header
 * too; policies intersect). `connect-src 'self'` lets browser mode reach its own loopback WebSocket.
 * Build only: the dev server injects styles inline for hot reload.
 */
export const RENDERER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

function cspMeta(): Plugin {
  return {
    name: 'tapdesk-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const meta = `<meta http-equiv="Content-Security-Policy" content="${RENDERER_CSP}" />`;
        const charset = /<meta charset="utf-8"\s*\/?>/i;
        if (!charset.test(html)) throw new Error('renderer/index.html: expected <meta charset="utf-8"> to place the CSP after');
        // Before any <script>/<link> so the policy covers them.
        return html.replace(charset, (m) => `${m}\n    ${meta}`);
      },
    },
  };
}

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  publicDir: false,
  plugins: [
    svelte({
      configFile: false,
      emitCss: true,
      compilerOptions: { css: 'external' },
    }),
    cspMeta(),
  ],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: mode !== 'production',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    target: 'es2022',
    reportCompressedSize: true,
    // Two pages: the app, and the approval window (its own origin in browser mode, its own window in Electron).
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./renderer/index.html', import.meta.url)),
        approval: fileURLToPath(new URL('./renderer/approval.html', import.meta.url)),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    strictPort: false,
  },
}));
