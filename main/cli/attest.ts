/**
 * `tapdesk attest --reader NAME [--trust-root PEMFILE] [--trust-key HEXFILE] [--json]`: is the
 * Satochip, Seedkeeper or Keycard on NAME genuine? Exit 0 genuine, 4 a test card (trusted only
 * through --trust-root / --trust-key), 5 NOT genuine.
 *
 * Satochip/Seedkeeper: PIN from TAPDESK_PIN or a hidden prompt; --trust-root adds test root
 * certificates (PEM). Keycard: no PIN (IDENT needs none, it is never asked for); --trust-key adds
 * test CA public keys (hex, one per line). The PIN is asked only once the card on the reader is
 * known, and before anything is sent to it for the attestation.
 */
import { readFile } from 'node:fs/promises';
import { describeChainLink } from '../../drivers/attestation-report.ts';
import { attestOnReader, attestationNeedsPin, caKeysFromText, certificatesFromPem } from '../core/attestation.ts';
import { type CliCommand, CliFailure, EXIT, UsageError, describeCard, requireReader, wrongPinFailure } from './common.ts';

/** Exit status of the verdicts. */
export const ATTEST_EXIT = { genuine: EXIT.OK, test: 4, 'not-genuine': 5 } as const;

interface AttestOptions {
  readonly reader: string;
  readonly extraTrust?: Uint8Array[];
  readonly trustRootFile?: string;
  readonly extraKeycardCaKeys?: Uint8Array[];
  readonly trustKeyFile?: string;
}

const PIN_MISSING = 'attest needs the card PIN: set TAPDESK_PIN or run it in a terminal to be asked (never on the command line)';

async function readTrustFile(option: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliFailure(EXIT.USAGE, `cannot read --${option} ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const attestCommand: CliCommand<AttestOptions> = {
  usage: [
    'tapdesk attest --reader NAME [--trust-root PEMFILE] [--trust-key HEXFILE] [--json]',
    '    Satochip/Seedkeeper: PIN from TAPDESK_PIN or prompt; --trust-root: extra (test) root certificates, PEM',
    '    Keycard: no PIN; --trust-key: extra (test) CA public keys, hex, one per line',
  ],

  async prepare(values) {
    if (!values.reader) throw new UsageError('attest needs --reader NAME');
    let extraTrust: Uint8Array[] | undefined;
    const trustRoot = values['trust-root'];
    if (trustRoot) {
      const text = await readTrustFile('trust-root', trustRoot);
      extraTrust = certificatesFromPem(text);
      if (extraTrust.length === 0) throw new CliFailure(EXIT.USAGE, `--trust-root ${trustRoot} holds no PEM certificate`);
    }
    let extraKeycardCaKeys: Uint8Array[] | undefined;
    const trustKey = values['trust-key'];
    if (trustKey) {
      const text = await readTrustFile('trust-key', trustKey);
      try {
        extraKeycardCaKeys = caKeysFromText(text);
      } catch (error) {
        const reason = (error as { info?: { reason?: string } }).info?.reason ?? (error instanceof Error ? error.message : String(error));
        throw new CliFailure(EXIT.USAGE, `--trust-key ${trustKey}: ${reason}`);
      }
      if (extraKeycardCaKeys.length === 0) throw new CliFailure(EXIT.USAGE, `--trust-key ${trustKey} holds no public key (hex, one per line)`);
    }
    return {
      reader: values.reader,
      ...(extraTrust ? { extraTrust, trustRootFile: trustRoot } : {}),
      ...(extraKeycardCaKeys ? { extraKeycardCaKeys, trustKeyFile: trustKey } : {}),
    };
  },

  async run(options, { readers, snapshot, json, io }) {
    const card = requireReader(snapshot, options.reader, io).card;
    const family = card?.status === 'identified' ? card.family : undefined;
    if (family === 'keycard' && options.trustRootFile) {
      throw new CliFailure(EXIT.USAGE, `--trust-root is for a Satochip/Seedkeeper; the card on ${JSON.stringify(options.reader)} is a Keycard: use --trust-key HEXFILE`);
    }
    if ((family === 'satochip' || family === 'seedkeeper') && options.trustKeyFile) {
      throw new CliFailure(EXIT.USAGE, `--trust-key is for a Keycard; the card on ${JSON.stringify(options.reader)} is ${describeCard(card ?? null)}: use --trust-root PEMFILE`);
    }
    let pin: string | undefined;
    if (attestationNeedsPin(family)) {
      pin = io.env?.TAPDESK_PIN ?? (io.promptSecret ? await io.promptSecret('Card PIN: ') : undefined);
      if (!pin) throw new CliFailure(EXIT.USAGE, PIN_MISSING);
    }
    const result = await attestOnReader(readers, {
      reader: options.reader,
      ...(pin !== undefined ? { pin } : {}),
      ...(options.extraTrust ? { extraTrust: options.extraTrust } : {}),
      ...(options.extraKeycardCaKeys ? { extraKeycardCaKeys: options.extraKeycardCaKeys } : {}),
    }).catch((error: unknown) => {
      throw wrongPinFailure(error, 'card', 'TAPDESK_PIN') ?? error;
    });
    if (json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`${result.product} on ${result.reader}: ${result.report.verdict.toUpperCase()}`);
      for (const check of result.report.checks) io.out(`  [${check.result}] ${check.label}: ${check.detail}`);
      for (const link of result.report.chain) io.out(`  ${describeChainLink(link)}`);
    }
    return ATTEST_EXIT[result.report.verdict];
  },
};
