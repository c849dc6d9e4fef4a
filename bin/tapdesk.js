#!/usr/bin/env node
// The `tapdesk` command. Runs the built CLI (dist/main/cli.js), building it first if needed.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'dist', 'main', 'cli.js');
if (!existsSync(cli)) {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'main'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const { main } = await import(pathToFileURL(cli).href);
await main();
// PC/SC status threads keep the event loop alive after close(); the command is done.
process.exit(process.exitCode ?? 0);
