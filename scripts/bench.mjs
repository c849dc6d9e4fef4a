#!/usr/bin/env node
// `npm run bench`: builds the app and the benchmarks, makes sure pcscd runs, prints JSON.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 1;
if (run(process.execPath, ['scripts/build.mjs']) !== 0) process.exit(1);
run('bash', ['scripts/pcscd.sh']);
// The bundle lives in bench/.out so that paths relative to the repository stay the same depth.
await build({
  absWorkingDir: root,
  entryPoints: ['bench/index.ts'],
  outfile: 'bench/.out/index.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
process.exit(run(process.execPath, ['bench/.out/index.mjs']));
