/**
 * `tapdesk xpub --reader NAME --path PATH [--version xpub|ypub|zpub|tpub|vpub] [--json]`: the BIP32
 * extended public key at PATH, with the compressed public key.
 *
 * Satochip: GET EXTENDED KEY of the parent for its fingerprint, then of the path; both checked
 * against the card's authentikey. Keycard (keycard-keys.ts): stored pairing (or PAIR, stored),
 * EXPORT KEY of the parent and of the path; no xpub of the master or inside EIP-1581.
 * PIN: TAPDESK_PIN or a hidden prompt (asked once the card on the reader is known).
 */
import { XPUB_VERSIONS } from '../../drivers/satochip/bip32-path.ts';
import { type CliCommand, EXIT, UsageError, hex, missingPin, pinAvailable } from './common.ts';
import { familyOn } from './keycard.ts';
import { keycardXpub } from './keycard-keys.ts';
import { SATOCHIP_PIN_ENV, readerAndPath, satochipPin, withSatochip } from './satochip.ts';

type VersionName = keyof typeof XPUB_VERSIONS;

interface XpubOptions {
  readonly reader: string;
  readonly path: string;
  readonly version: VersionName;
}

function versionName(value: string | undefined): VersionName {
  if (value === undefined) return 'xpub';
  if (Object.hasOwn(XPUB_VERSIONS, value)) return value as VersionName;
  throw new UsageError(`bad --version ${JSON.stringify(value)}: one of ${Object.keys(XPUB_VERSIONS).join(', ')}`);
}

export const xpubCommand: CliCommand<XpubOptions> = {
  usage: [`tapdesk xpub --reader NAME --path PATH [--version ${Object.keys(XPUB_VERSIONS).join('|')}] [--json]   (Satochip or Keycard; PIN: TAPDESK_PIN or prompt)`],

  prepare(values, io) {
    const { reader, path } = readerAndPath(values, 'xpub');
    const version = versionName(values.version);
    if (!pinAvailable(io, SATOCHIP_PIN_ENV)) throw missingPin(SATOCHIP_PIN_ENV, 'xpub');
    return { reader, path, version };
  },

  async run(options, context) {
    let result;
    if (familyOn(context, options.reader) === 'keycard') {
      result = await keycardXpub(context, { reader: options.reader, path: options.path, versionName: options.version, version: XPUB_VERSIONS[options.version] });
    } else {
      const { xpub, key, parentFingerprint } = await withSatochip(
        context,
        options.reader,
        () => satochipPin(context.io, 'xpub'),
        (client) => client.getXpub(options.path, { version: XPUB_VERSIONS[options.version] }),
      );
      result = {
        reader: options.reader,
        path: key.path,
        version: options.version,
        xpub,
        publicKey: hex(key.publicKey),
        chainCode: hex(key.chainCode),
        depth: key.depth,
        parentFingerprint: parentFingerprint.toString(16).padStart(8, '0'),
      };
    }
    if (context.json) context.io.out(JSON.stringify(result, null, 2));
    else {
      context.io.out(`path:               ${result.path}`);
      context.io.out(`${options.version}:${' '.repeat(19 - options.version.length)}${result.xpub}`);
      context.io.out(`public key:         ${result.publicKey}`);
      context.io.out(`parent fingerprint: ${result.parentFingerprint}`);
    }
    return EXIT.OK;
  },
};
