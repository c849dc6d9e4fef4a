/**
 * The fewest APDUs each card-to-card flow can send on two readers, command by command, with the
 * reason each one is needed (../shared/protocols/satochip-seedkeeper.md sections 1-3, 7-10). The
 * tests hold the flows to it and `npm run bench` prints it next to what was measured.
 */
export interface MinimumStep {
  /** The command's name as the client gives it ("SC ..." = inside the secure channel). */
  readonly command: string;
  readonly count: number;
  readonly why: string;
}

const OPEN_SEEDKEEPER: readonly MinimumStep[] = [
  { command: 'SELECT', count: 1, why: "the applet (section 1); a Seedkeeper's SELECT answer is its status (setup done, PIN tries), so no GET STATUS" },
  {
    command: 'INIT SECURE CHANNEL',
    count: 1,
    why: 'every other command is wrapped (section 3.1); a Seedkeeper states its authentikey here (section 14.6), so the card is identified before any PIN and needs no EXPORT AUTHENTIKEY',
  },
  { command: 'SC VERIFY PIN', count: 1, why: 'secret commands answer 9C06 without it (section 7.2); asked once, never retried' },
];

const IMPORT_PUBKEY: readonly MinimumStep[] = [
  { command: 'SC IMPORT SECRET plain init', count: 1, why: "pairing (section 8): the peer's authentikey as a PUBKEY secret, header and padded size" },
  { command: 'SC IMPORT SECRET plain final', count: 1, why: 'the 66-byte key blob `41 | 04 x y` fits one final chunk' },
];

/**
 * Seedkeeper -> Seedkeeper, one secret whose ciphertext takes `chunks` 128-byte pieces, the cards
 * opened once each (section 10.2). Per card, in the order each card sees them.
 */
export function backupOneSecretMinimum(chunks: number): { readonly master: readonly MinimumStep[]; readonly backup: readonly MinimumStep[] } {
  return {
    master: [
      ...OPEN_SEEDKEEPER,
      { command: 'SC LIST SECRET HEADERS first', count: 1, why: 'what to copy, with fingerprints (section 7.2)' },
      { command: 'SC LIST SECRET HEADERS next', count: 1, why: 'until 9C12 (no more): the list has no count' },
      ...IMPORT_PUBKEY,
      { command: 'SC EXPORT SECRET encrypted init', count: 1, why: 'section 8: header and the IV, for the backup card\'s key' },
      { command: 'SC EXPORT SECRET encrypted next', count: chunks, why: `section 8: the ciphertext, ${chunks} piece(s) of at most 128 bytes, the last with the MAC` },
    ],
    backup: [
      ...OPEN_SEEDKEEPER,
      { command: 'SC LIST SECRET HEADERS first', count: 1, why: "is the master already paired, is the secret already there (an earlier backup); 9C12 = empty card" },
      ...IMPORT_PUBKEY,
      { command: 'SC IMPORT SECRET encrypted init', count: 1, why: 'section 8: header, the master key\'s sid, IV, ciphertext length' },
      ...(chunks > 1 ? [{ command: 'SC IMPORT SECRET encrypted chunk', count: chunks - 1, why: 'section 8: every 128-byte piece but the last' }] : []),
      { command: 'SC IMPORT SECRET encrypted final', count: 1, why: 'section 8: the last piece and the MAC; answers the fingerprint the card computed' },
      { command: 'SC LIST SECRET HEADERS first', count: 1, why: 'the final check (issue 3): the backup card lists every copied fingerprint' },
      { command: 'SC LIST SECRET HEADERS next', count: 2, why: 'the copied secret, the master key, then 9C12' },
    ],
  };
}

/** Satochip restored from a Seedkeeper master seed with rights 01 (section 9), cards opened once each. */
export function restoreMinimum(): { readonly seedkeeper: readonly MinimumStep[]; readonly satochip: readonly MinimumStep[] } {
  return {
    seedkeeper: [
      ...OPEN_SEEDKEEPER,
      { command: 'SC LIST SECRET HEADERS first', count: 1, why: 'which master seed, its rights, whether the Satochip is already paired' },
      { command: 'SC LIST SECRET HEADERS next', count: 1, why: 'until 9C12' },
      ...IMPORT_PUBKEY,
      { command: 'SC EXPORT SECRET TO SATOCHIP', count: 1, why: 'section 9 step 3: the seed encrypted for the Satochip, one answer' },
      { command: 'SC GET EXTENDED KEY (Seedkeeper)', count: 1, why: 'the seed\'s public key at the check path, to compare with the Satochip\'s at the end' },
    ],
    satochip: [
      { command: 'SELECT', count: 1, why: 'the applet (section 1)' },
      { command: 'GET STATUS', count: 1, why: 'set up, not seeded (a seeded Satochip refuses the import: nothing is sent to it)' },
      { command: 'INIT SECURE CHANNEL', count: 1, why: 'section 3.1; a Satochip does not state its authentikey here' },
      { command: 'SC VERIFY PIN', count: 1, why: 'section 4.2' },
      { command: 'SC EXPORT AUTHENTIKEY', count: 1, why: 'section 9 step 1: the key the Seedkeeper encrypts for' },
      { command: 'SC IMPORT TRUSTED PUBKEY', count: 1, why: 'section 9 step 4: the Seedkeeper key the Satochip accepts a seed from' },
      { command: 'SC IMPORT ENCRYPTED SECRET', count: 1, why: 'section 9 step 5: the seed; the Satochip checks MAC and fingerprint' },
      { command: 'SC GET EXTENDED KEY', count: 1, why: 'the final check: the same public key as the Seedkeeper\'s seed' },
    ],
  };
}

/** ["A", "B", "B"] -> [{A, 1}, {B, 2}]: how a sent sequence compares with a minimum. */
export function foldCommands(names: readonly string[]): { command: string; count: number }[] {
  const out: { command: string; count: number }[] = [];
  for (const name of names) {
    const last = out.at(-1);
    if (last && last.command === name) last.count += 1;
    else out.push({ command: name, count: 1 });
  }
  return out;
}
