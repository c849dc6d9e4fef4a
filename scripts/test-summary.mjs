#!/usr/bin/env node
// Prints one closing line for the whole run, per tier and in total: "tests: N passed, N failed, N skipped".
// Fails when a tier ran no test at all (a tier that silently disappeared is a failure).
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
const reports = files.map((file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.error(`no test report at ${file} (the tier did not run)`);
    return { testResults: [] };
  }
});
const tiers = { unit: [0, 0, 0], pcsc: [0, 0, 0], chain: [0, 0, 0], e2e: [0, 0, 0] };
const tierOf = (file) =>
  file.endsWith('.pcsc.test.ts') ? 'pcsc' : file.endsWith('.chain.test.ts') ? 'chain' : file.includes('/e2e/') ? 'e2e' : 'unit';
for (const file of reports.flatMap((report) => report.testResults ?? [])) {
  const counts = tiers[tierOf(file.name)];
  for (const test of file.assertionResults ?? []) {
    if (test.status === 'passed') counts[0] += 1;
    else if (test.status === 'failed') counts[1] += 1;
    else counts[2] += 1;
  }
}
let empty = false;
for (const [tier, [passed, failed, skipped]] of Object.entries(tiers)) {
  console.log(`${tier}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (passed + failed === 0) empty = true;
}
const total = Object.values(tiers).reduce((a, c) => a.map((v, i) => v + c[i]), [0, 0, 0]);
console.log(`tests: ${total[0]} passed, ${total[1]} failed, ${total[2]} skipped`);
if (empty) {
  console.error('a test tier ran no test');
  process.exit(1);
}
process.exit(total[1] > 0 ? 1 : 0);
