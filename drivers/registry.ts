/** Every card family the app knows, in the order they are tried (after ATR hints). */
import type { CardDriver } from './card.ts';
import { cktapDriver } from './cktap/identify.ts';
import { keycardDriver } from './keycard/identify.ts';
import { satochipDriver, seedkeeperDriver } from './satochip/identify.ts';
import { testCardDriver } from './virtual/test-card-driver.ts';

export const CARD_DRIVERS: readonly CardDriver[] = [satochipDriver, seedkeeperDriver, keycardDriver, cktapDriver, testCardDriver];
