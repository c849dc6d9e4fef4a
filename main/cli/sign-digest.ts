/**
 * `tapdesk sign-digest --reader NAME --path PATH --hex 64HEX [--json]`: the Satochip (SIGN HASH) or
 * the Keycard (SIGN P1=01, keycard-keys.ts) signs a 32-byte digest as given with the BIP32 key at
 * PATH. The card's signature is checked against that key and normalised to low S; printed as
 * compact r||s, recovery id and DER, with the public key. PIN: TAPDESK_PIN or a hidden prompt
 * (asked once the card on the reader is known).
 */
import { type CliCommand, type CliContext, EXIT, UsageError, hex, missingPin, pinAvailable } from './common.ts';
import { familyOn } from './keycard.ts';
import { keycardSignDigest } from './keycard-keys.ts';
import { SATOCHIP_PIN_ENV, readerAndPath, satochipPin, withSatochip } from './satochip.ts';

interface SignDigestOptions {
  readonly reader: string;
  readonly path: string;
  readonly digest: Uint8Array;
}

/** Exactly 32 bytes as 64 hex digits (an optional 0x in front). */
export function parseDigest(value: string | undefined): Uint8Array {
  if (value === undefined) throw new UsageError('sign-digest needs --hex with the 32-byte digest as 64 hex digits');
  const digits = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new UsageError(`--hex must be hex digits only (0-9, a-f); got ${JSON.stringify(value)}`);
  if (digits.length !== 64) {
    const got = digits.length % 2 === 0 ? `${digits.length / 2} byte${digits.length === 2 ? '' : 's'}` : `${digits.length} hex digits (odd)`;
    throw new UsageError(`--hex must be exactly 32 bytes (64 hex digits); got ${got}`);
  }
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

export const signDigestCommand: CliCommand<SignDigestOptions> = {
  usage: ['tapdesk sign-digest --reader NAME --path PATH --hex 64HEX [--json]   (Satochip or Keycard; PIN: TAPDESK_PIN or prompt)'],

  prepare(values, io) {
    const { reader, path } = readerAndPath(values, 'sign-digest');
    const digest = parseDigest(values.hex);
    if (!pinAvailable(io, SATOCHIP_PIN_ENV)) throw missingPin(SATOCHIP_PIN_ENV, 'sign-digest');
    return { reader, path, digest };
  },

  async run(options, context) {
    const result = familyOn(context, options.reader) === 'keycard' ? await keycardSignDigest(context, options) : await satochipSignDigest(context, options);
    if (context.json) context.io.out(JSON.stringify(result, null, 2));
    else {
      context.io.out(`path:        ${result.path}`);
      context.io.out(`digest:      ${result.digest}`);
      context.io.out(`public key:  ${result.publicKey}`);
      context.io.out(`signature:   ${result.compact}   (r||s, low S)`);
      context.io.out(`recovery id: ${result.recoveryId}`);
      context.io.out(`DER:         ${result.der}`);
    }
    return EXIT.OK;
  },
};

/** The Satochip's SIGN HASH, its signature checked and normalised to low S by the client. */
async function satochipSignDigest(context: CliContext, options: SignDigestOptions) {
  const signature = await withSatochip(context, options.reader, () => satochipPin(context.io, 'sign-digest'), (client) => client.signHash({ path: options.path }, options.digest));
  return {
    reader: options.reader,
    path: signature.key?.path ?? options.path,
    digest: hex(signature.digest),
    publicKey: hex(signature.publicKey),
    compact: hex(signature.compact),
    r: hex(signature.compact.subarray(0, 32)),
    s: hex(signature.compact.subarray(32)),
    recoveryId: signature.recoveryId,
    der: hex(signature.der),
    lowS: true,
    flippedHighS: signature.flippedHighS,
  };
}
