/** The renderer bundle as shipped: every file in dist/renderer, raw and gzipped (level 9). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, ensureBuilt } from '../e2e/support/browser-app.ts';

export interface BundleResult {
  readonly files: number;
  readonly raw_bytes: number;
  readonly gzip_bytes: number;
  readonly gzip_kb: number;
  readonly target_kb: number;
  readonly within_target: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

export function benchBundleSize(): BundleResult {
  ensureBuilt();
  const files = walk(path.join(ROOT, 'dist', 'renderer')).filter((f) => !f.endsWith('.map'));
  let raw = 0;
  let gz = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  const kb = Math.round((gz / 1024) * 10) / 10;
  return { files: files.length, raw_bytes: raw, gzip_bytes: gz, gzip_kb: kb, target_kb: 150, within_target: kb < 150 };
}
