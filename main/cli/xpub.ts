/**
 * `tapdesk xpub --reader NAME --path PATH [--version xpub|ypub|zpub|tpub|vpub] [--json]`:
 * the Satochip's BIP32 extended public key at PATH (GET EXTENDED KEY of the parent for its
 * fingerprint, then of the path; both checked against the card's authentikey), with the compressed
 * public key. PIN: TAPDESK_PIN or a hidden prompt.
 */
import { XPUB_VERSIONS } from '../../drivers/satochip/bip32-path.ts';
import { type CliCommand, EXIT, UsageError, hex } from './common.ts';
import { readerAndPath, satochipPin, withSatochip } from './satochip.ts';

type VersionName = keyof typeof XPUB_VERSIONS;

interface XpubOptions {
  readonly reader: string;
  readonly path: string;
  readonly version: VersionName;
  readonly pin: string;
}

function versionName(value: string | undefined): VersionName {
  if (value === undefined) return 'xpub';
  if (Object.hasOwn(XPUB_VERSIONS, value)) return value as VersionName;
  throw new UsageError(`bad --version ${JSON.stringify(value)}: one of ${Object.keys(XPUB_VERSIONS).join(', ')}`);
}

export const xpubCommand: CliCommand<XpubOptions> = {
  usage: [`tapdesk xpub --reader NAME --path PATH [--version ${Object.keys(XPUB_VERSIONS).join('|')}] [--json]   (Satochip; PIN: TAPDESK_PIN or prompt)`],

  async prepare(values, io) {
    const { reader, path } = readerAndPath(values, 'xpub');
    const version = versionName(values.version);
    return { reader, path, version, pin: await satochipPin(io, 'xpub') };
  },

  async run(options, context) {
    const { xpub, key, parentFingerprint } = await withSatochip(context, options.reader, options.pin, (client) =>
      client.getXpub(options.path, { version: XPUB_VERSIONS[options.version] }),
    );
    const result = {
      reader: options.reader,
      path: key.path,
      version: options.version,
      xpub,
      publicKey: hex(key.publicKey),
      chainCode: hex(key.chainCode),
      depth: key.depth,
      parentFingerprint: parentFingerprint.toString(16).padStart(8, '0'),
    };
    if (context.json) context.io.out(JSON.stringify(result, null, 2));
    else {
      context.io.out(`path:               ${result.path}`);
      context.io.out(`${options.version}:${' '.repeat(19 - options.version.length)}${xpub}`);
      context.io.out(`public key:         ${result.publicKey}`);
      context.io.out(`parent fingerprint: ${result.parentFingerprint}`);
    }
    return EXIT.OK;
  },
};
