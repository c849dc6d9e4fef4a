/**
 * ApprovalDisplay for the words of a new wallet ('seed-display'): shown once, in the approval window
 * only (never in the app's renderer), numbered, with what they mean. Approving says "written down".
 */
import type { ApprovalDisplay } from '../../../../preload/approval-contract.ts';

export const SEED_WARNING = 'Write these words on paper now. They are shown once. Anyone who has them owns this wallet; Tapdesk does not keep them.';

export function seedWordsDisplay(words: readonly string[], source: string): ApprovalDisplay {
  return {
    title: `Recovery words of your new wallet (${words.length} words)`,
    subtitle: source,
    warnings: [
      { severity: 'danger', text: SEED_WARNING },
      { severity: 'caution', text: 'Write them in this order, with their numbers. No photo, no file, no cloud. Esc stops: nothing is loaded onto the cards.' },
    ],
    sections: [{ heading: 'Words', rows: words.map((word, i) => ({ label: String(i + 1), value: word, mono: true })) }],
    action: 'I have written them down',
    cardHint: 'Tapdesk now loads the wallet onto both Keycards: keep them on their readers.',
  };
}
