#!/usr/bin/env node
// One build for every part: main (Electron entry, browser-mode entry, CLI) and the preload with
// esbuild, the Svelte renderer with Vite. Type checking is `npm run typecheck` (run by `npm test`).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const only = process.argv.slice(2);
const want = (part) => only.length === 0 || only.includes(part);

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

const started = performance.now();
if (only.length === 0) await rm(path.join(root, 'dist'), { recursive: true, force: true });

if (want('main')) {
  await build({
    ...common,
    entryPoints: { 'main/web': 'main/web-main.ts', 'main/cli': 'main/cli.ts', 'main/demo-addresses': 'main/core/demo/print-addresses.ts' },
    outdir: 'dist',
    format: 'esm',
    // Lazily imported parts (the wallet service and its chain libraries) become chunks loaded on first use.
    splitting: true,
    chunkNames: 'main/chunks/[name]-[hash]',
    outExtension: { '.js': '.js' },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  await build({ ...common, entryPoints: { 'main/electron': 'main/electron.ts' }, outdir: 'dist', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['electron'] });
}
if (want('preload')) {
  // Sandboxed preloads must be a single CommonJS file that requires nothing but 'electron'.
  await build({
    ...common,
    packages: undefined,
    entryPoints: { 'preload/index': 'preload/index.ts', 'preload/approval': 'preload/approval.ts' },
    outdir: 'dist',
    format: 'cjs',
    platform: 'node',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
  });
}
if (want('renderer')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
}
console.log(`build: done in ${Math.round(performance.now() - started)} ms`);
