/** The registry entry for the Tapdesk test card (drivers/virtual/test-card.ts). */
import type { CardDriver } from '../card.ts';
import { toHex } from '../pcsc/apdu.ts';
import { TEST_CARD_AID } from './test-card.ts';

export const testCardDriver: CardDriver = {
  family: 'test',
  aid: TEST_CARD_AID,
  async describe(select) {
    const text = new TextDecoder().decode(select.data);
    if (!text.startsWith('Tapdesk test card')) return null;
    return {
      family: 'test',
      product: 'Tapdesk test card',
      aid: toHex(TEST_CARD_AID),
      details: { answer: text },
      capabilities: { sign: [], backup: 'none', attestation: 'none' },
    };
  },
};
