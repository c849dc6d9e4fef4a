/**
 * `tapdesk attest --reader NAME [--trust-root PEMFILE] [--json]`: is the Satochip/Seedkeeper on
 * NAME genuine? Exit 0 genuine, 4 a test card (chains only to --trust-root), 5 NOT genuine.
 * PIN: TAPDESK_PIN or a hidden prompt.
 */
import { readFile } from 'node:fs/promises';
import { attestOnReader, certificatesFromPem } from '../core/attestation.ts';
import { type CliCommand, CliFailure, EXIT, UsageError, wrongPinFailure } from './common.ts';

/** Exit status of the verdicts. */
export const ATTEST_EXIT = { genuine: EXIT.OK, test: 4, 'not-genuine': 5 } as const;

interface AttestOptions {
  readonly reader: string;
  readonly pin: string;
  readonly extraTrust?: Uint8Array[];
}

export const attestCommand: CliCommand<AttestOptions> = {
  usage: ['tapdesk attest --reader NAME [--trust-root PEMFILE] [--json]   (PIN: TAPDESK_PIN or prompt)'],

  async prepare(values, io) {
    if (!values.reader) throw new UsageError('attest needs --reader NAME');
    let extraTrust: Uint8Array[] | undefined;
    const trustRoot = values['trust-root'];
    if (trustRoot) {
      try {
        extraTrust = certificatesFromPem(await readFile(trustRoot, 'utf8'));
      } catch (error) {
        throw new CliFailure(EXIT.USAGE, `cannot read --trust-root ${trustRoot}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (extraTrust.length === 0) throw new CliFailure(EXIT.USAGE, `--trust-root ${trustRoot} holds no PEM certificate`);
    }
    const pin = io.env?.TAPDESK_PIN ?? (io.promptSecret ? await io.promptSecret('Card PIN: ') : undefined);
    if (!pin) throw new CliFailure(EXIT.USAGE, 'attest needs the card PIN: set TAPDESK_PIN or run it in a terminal to be asked (never on the command line)');
    return { reader: values.reader, pin, ...(extraTrust ? { extraTrust } : {}) };
  },

  async run(options, { readers, json, io }) {
    const result = await attestOnReader(readers, options).catch((error: unknown) => {
      throw wrongPinFailure(error, 'card', 'TAPDESK_PIN') ?? error;
    });
    if (json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`${result.product} on ${result.reader}: ${result.report.verdict.toUpperCase()}`);
      for (const check of result.report.checks) io.out(`  [${check.result}] ${check.label}: ${check.detail}`);
      for (const link of result.report.chain) io.out(`  ${link.role}: ${link.subject} (${link.source}, sha256 ${link.sha256Fingerprint.slice(0, 16)}...)`);
    }
    return ATTEST_EXIT[result.report.verdict];
  },
};
