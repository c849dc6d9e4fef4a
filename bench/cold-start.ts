/**
 * Browser-mode cold start: from spawning the app's process to the first rendered reader list in
 * Chromium (Chromium itself already running; its own start-up is not the app's).
 */
import { launchChromium, startBrowserApp } from '../e2e/support/browser-app.ts';
import { median, round } from './stats.ts';

export interface ColdStartResult {
  readonly runs: number;
  readonly median_server_ready_ms: number;
  readonly median_first_reader_list_ms: number;
  readonly target_ms: number;
  readonly within_target: boolean;
}

export async function benchColdStart(runs = 5): Promise<ColdStartResult> {
  const browser = await launchChromium();
  const ready: number[] = [];
  const listed: number[] = [];
  try {
    for (let i = 0; i < runs; i += 1) {
      const started = performance.now();
      const app = await startBrowserApp(['--demo', 'auto']);
      ready.push(performance.now() - started);
      const page = await browser.newPage();
      await page.goto(app.url);
      await page.locator('[data-testid="reader"]').first().waitFor({ timeout: 15_000 });
      listed.push(performance.now() - started);
      await page.close();
      await app.stop();
    }
  } finally {
    await browser.close();
  }
  const first = median(listed);
  return {
    runs,
    median_server_ready_ms: round(median(ready), 1),
    median_first_reader_list_ms: round(first, 1),
    target_ms: 1500,
    within_target: first < 1500,
  };
}
