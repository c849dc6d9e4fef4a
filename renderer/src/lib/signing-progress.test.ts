import { describe, expect, it } from 'vitest';
import { describeProgress } from './signing-progress.svelte.ts';

describe('signing progress sentences', () => {
  it('tells the person what to do at each step, with i of n while signing', () => {
    expect(describeProgress(null)).toBe('');
    expect(describeProgress({ reader: 'R', step: 'waiting-approval' })).toMatch(/approval window/);
    expect(describeProgress({ reader: 'R', step: 'signing', signed: 1, total: 3 })).toBe('Signing on the card: 1 of 3. Keep the card on the reader.');
    expect(describeProgress({ reader: 'R', step: 'broadcasting' })).toMatch(/can be taken off/);
  });
});
