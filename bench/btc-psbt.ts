/**
 * Bitcoin PSBT host time (issue 4, "Benchmarks"): build, sign on an emulated card and finalize a
 * PSBT spending 1, 10 and 100 P2WPKH inputs, each on its own address (the worst case: one key
 * derivation per input on the card and on the host).
 *
 * The real stack: main/core/wallets/btc (coin selection, PSBT build, BIP143 sighashes, signature
 * checks, finalize) -> the family's CardSigner -> its client (secure channel) -> ApduTransport ->
 * InProcessChannel -> the card emulator seeded with "abandon ... about", set up once with one
 * secure channel and PIN: every run signs in that one card session. The Satochip is measured in
 * full (judged); the Keycard on the app's path beside it (`keycard_cases`, judged too: the same
 * wallet code must meet the target on every family).
 *
 * Host time = wall time minus the time spent inside the emulator's `process` (TimedCard). It is
 * split into `wallet` (this layer) and `driver` (time inside signer calls, minus the card: secure
 * channel crypto and the client's checks of each derived key and signature).
 *
 * Two kinds of runs per size, each from a new watch-only account:
 * - `discovered` (the app's path, judged against the target): the n coins were found by address
 *   discovery on this account, which derived their keys (untimed here; discovery belongs to the
 *   balance refresh). The app keeps one account per card and network, so a send reuses them.
 * - `cold`: nothing derived before; `build` derives every input's key on the host (the worst case,
 *   e.g. a PSBT for addresses the wallet has not looked at), reported beside.
 */
import { Bip84Account } from '../main/core/wallets/btc/account.ts';
import { buildSendPsbt } from '../main/core/wallets/btc/psbt-build.ts';
import { extractTransaction, finalizePsbt } from '../main/core/wallets/btc/psbt-finalize.ts';
import { signPsbt } from '../main/core/wallets/btc/psbt-sign.ts';
import { DEFAULT_GAP_LIMIT, type AccountUtxo } from '../main/core/wallets/btc/discovery.ts';
import { keycardSigner } from '../main/core/wallets/keycard-signer.ts';
import { satochipSigner } from '../main/core/wallets/satochip-signer.ts';
import type { CardSigner } from '../main/core/wallets/signer.ts';
import { KeycardClient } from '../drivers/keycard/client.ts';
import { DEMO_KEYCARD_PIN, demoKeycard } from '../drivers/keycard/emulator/demo.ts';
import { ApduTransport } from '../drivers/pcsc/transport.ts';
import { SatochipClient } from '../drivers/satochip/client.ts';
import { openKeycard } from '../main/core/keycard/open.ts';
import { MemoryPairingStore } from '../main/core/keycard/pairings.ts';
import { demoSatochip } from '../drivers/satochip/emulator/index.ts';
import { InProcessChannel } from '../drivers/virtual/in-process.ts';
import { TimedCard, percentile } from './operations.ts';
import { median, round } from './stats.ts';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const NETWORK = 'regtest';
const COIN_VALUE = 10_000;
const FEE_RATE = 2;
/** Issue 4: 100 inputs under 300 ms of host time. */
export const BTC_PSBT_TARGET_MS = 300;

export const BTC_PSBT_METHOD =
  'host_ms = wall time of build + sign + finalize/extract minus the time inside the card emulator process() (TimedCard); ' +
  'driver_ms = time inside CardSigner calls minus card time (the client\'s secure channel + its checks); wallet_ms = host_ms - driver_ms. ' +
  'Each of n inputs pays its own address (Satochip: n GET EXTENDED KEY + n SIGN HASH in one card session, plus a retry whenever the card\'s BIP32 cache is full; Keycard: n SIGN with the path); each run starts from a new watch-only ' +
  'account: in `cases` (Satochip) and `keycard_cases` (the app path, judged) the n addresses were derived by discovery before timing, in `cold_cases` (Satochip) nothing was (host key derivation inside build). ' +
  'Median and nearest-rank p95 over `runs` runs after warm-up.';

/** How much of the account's key derivation happened before the timed part. */
export type AccountKeys = 'discovered' | 'cold';

export interface BtcPsbtCase {
  readonly inputs: number;
  /** APDUs per run: Satochip 2 per input, plus one when the card's BIP32 cache is full (9C01, retried with a cache reset); Keycard 1 per input. */
  readonly apdus_median: number;
  readonly apdus_max: number;
  readonly expected_apdus: number;
  readonly host_ms_median: number;
  readonly host_ms_p95: number;
  readonly wallet_ms_median: number;
  readonly driver_ms_median: number;
  readonly build_ms_median: number;
  /** Host part of signing (sighashes, checks, driver), card excluded. */
  readonly sign_host_ms_median: number;
  readonly finalize_ms_median: number;
  readonly card_ms_median: number;
  readonly vsize: number;
  readonly runs: number;
  readonly error?: string;
}

export interface BtcPsbtResult {
  readonly method: string;
  readonly card: string;
  readonly target: { readonly inputs: 100; readonly host_ms: number; readonly met: boolean };
  /** Satochip, the app's path: the coins' keys were derived by discovery. */
  readonly cases: Record<string, BtcPsbtCase>;
  /** Satochip with a cold account (every input key derived inside build). */
  readonly cold_cases: Record<string, BtcPsbtCase>;
  /** Keycard, the app's path. */
  readonly keycard_cases: Record<string, BtcPsbtCase>;
  readonly error?: string;
}

/** The CardSigner with a clock around each call: `ms` adds up the time spent inside them. */
function timedSigner(inner: CardSigner): CardSigner & { ms: number } {
  const timed = { family: inner.family, schnorr: inner.schnorr, ms: 0 };
  const clocked =
    <Args extends unknown[], Result>(call: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      const started = performance.now();
      try {
        return await call(...args);
      } finally {
        timed.ms += performance.now() - started;
      }
    };
  return Object.assign(timed, {
    node: clocked(inner.node.bind(inner)),
    xpub: clocked(inner.xpub.bind(inner)),
    signDigest: clocked(inner.signDigest.bind(inner)),
    signForVerifier: clocked(inner.signForVerifier.bind(inner)),
  });
}

export async function benchBtcPsbt(options: { readonly sizes?: readonly number[]; readonly runs?: (inputs: number) => number; readonly warmup?: number } = {}): Promise<BtcPsbtResult> {
  const sizes = options.sizes ?? [1, 10, 100];
  const runsFor = options.runs ?? ((n: number) => (n >= 100 ? 7 : n >= 10 ? 15 : 30));
  const warmup = options.warmup ?? 2;

  const satochip = await satochipBenchCard();
  const keycard = await keycardBenchCard();
  const cardAccount = await Bip84Account.fromCard(satochip.signer, { network: NETWORK });
  if ((await Bip84Account.fromCard(keycard.signer, { network: NETWORK })).xpub !== cardAccount.xpub) throw new Error('the two emulated cards do not hold the same seed');
  const recipient = cardAccount.address(0, 100_000);

  const problems: string[] = [];
  const measure = async (bench: BenchCard, keys: AccountKeys): Promise<Record<string, BtcPsbtCase>> => {
    const cases: Record<string, BtcPsbtCase> = {};
    for (const n of sizes) {
      const measured = await measureCase(bench, n, keys);
      if (measured.error) problems.push(`${bench.family}, ${keys} account, ${n} inputs: ${measured.error}`);
      cases[`inputs_${n}`] = measured;
    }
    return cases;
  };
  const measureCase = async ({ card, signer, minimumApdus, beforeRun }: BenchCard, n: number, keys: AccountKeys): Promise<BtcPsbtCase> => {
    const host: number[] = [];
    const wallet: number[] = [];
    const driver: number[] = [];
    const build: number[] = [];
    const signHost: number[] = [];
    const finalize: number[] = [];
    const cardTime: number[] = [];
    const apduCounts: number[] = [];
    let vsize = 0;
    let error: string | undefined;
    const runs = runsFor(n);
    for (let run = 0; run < warmup + runs && !error; run += 1) {
      // Untimed preparation: a new watch-only account and n coins on n addresses (found by discovery,
      // which derived their keys, unless the account is to stay cold).
      const account = Bip84Account.fromXpub(cardAccount.xpub, { network: NETWORK, masterFingerprint: cardAccount.masterFingerprint });
      if (keys === 'discovered') {
        account.addresses(0, 0, n + DEFAULT_GAP_LIMIT);
        account.addresses(1, 0, DEFAULT_GAP_LIMIT);
      }
      const utxos: AccountUtxo[] = Array.from({ length: n }, (_, i) => ({
        txid: (run * 1000 + i + 1).toString(16).padStart(64, '0'),
        vout: i % 2,
        value: COIN_VALUE,
        confirmed: true,
        chain: 0,
        index: i,
        path: cardAccount.keyPath(0, i),
        address: cardAccount.address(0, i),
      }));
      const amount = n * COIN_VALUE - n * 200 - 1_000;
      try {
        await beforeRun();
        card.apdus = 0;
        card.cardMs = 0;
        signer.ms = 0;
        const t0 = performance.now();
        const { psbt, selection } = buildSendPsbt(account, { recipients: [{ address: recipient, amount }], feeRate: FEE_RATE, utxos, changeIndex: 0 });
        const t1 = performance.now();
        const signed = await signPsbt(psbt, account, signer);
        const t2 = performance.now();
        const tx = extractTransaction(finalizePsbt(psbt));
        const t3 = performance.now();
        if (selection.inputs.length !== n || signed.signed.length !== n) throw new Error(`expected ${n} inputs signed, got ${signed.signed.length}`);
        if (tx.fee !== selection.fee) throw new Error(`fee ${tx.fee} differs from the selection's ${selection.fee}`);
        const hostMs = t3 - t0 - card.cardMs;
        const driverMs = signer.ms - card.cardMs;
        if (card.apdus < minimumApdus(n)) throw new Error(`${card.apdus} APDUs for ${n} signatures on ${n} keys: fewer than the card needs (${minimumApdus(n)})`);
        if (run >= warmup) apduCounts.push(card.apdus);
        vsize = tx.vsize;
        if (run >= warmup) {
          host.push(hostMs);
          driver.push(driverMs);
          wallet.push(hostMs - driverMs);
          build.push(t1 - t0);
          signHost.push(t2 - t1 - card.cardMs);
          finalize.push(t3 - t2);
          cardTime.push(card.cardMs);
        }
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
      }
    }
    const expected = minimumApdus(n);
    return {
      inputs: n,
      apdus_median: median(apduCounts),
      apdus_max: Math.max(0, ...apduCounts),
      expected_apdus: expected,
      host_ms_median: round(median(host)),
      host_ms_p95: round(percentile(host, 95)),
      wallet_ms_median: round(median(wallet)),
      driver_ms_median: round(median(driver)),
      build_ms_median: round(median(build)),
      sign_host_ms_median: round(median(signHost)),
      finalize_ms_median: round(median(finalize)),
      card_ms_median: round(median(cardTime)),
      vsize,
      runs: host.length,
      ...(error ? { error } : {}),
    };
  };
  const cases = await measure(satochip, 'discovered');
  const coldCases = await measure(satochip, 'cold');
  const keycardCases = await measure(keycard, 'discovered');
  const met = (c: BtcPsbtCase | undefined) => c !== undefined && !c.error && c.host_ms_median < BTC_PSBT_TARGET_MS;
  return {
    method: BTC_PSBT_METHOD,
    card: `${satochip.description}; ${keycard.description}`,
    target: { inputs: 100, host_ms: BTC_PSBT_TARGET_MS, met: met(cases.inputs_100) && met(keycardCases.inputs_100) },
    cases,
    cold_cases: coldCases,
    keycard_cases: keycardCases,
    ...(problems.length ? { error: problems.join('; ') } : {}),
  };
}

/** One emulated card in one open session (PIN verified), timed, with what each run needs of it. */
interface BenchCard {
  readonly family: 'satochip' | 'keycard';
  readonly description: string;
  readonly card: TimedCard;
  readonly signer: CardSigner & { ms: number };
  /** The fewest APDUs n signatures on n keys need on this card. */
  readonly minimumApdus: (inputs: number) => number;
  /** Untimed, before each run: the card as right after opening a session. */
  readonly beforeRun: () => Promise<void>;
}

/** Once, untimed: a set-up, seeded Satochip with one secure channel and the PIN verified. */
async function satochipBenchCard(): Promise<BenchCard> {
  const card = new TimedCard(demoSatochip('Tapdesk bench BTC PSBT'));
  const transport = new ApduTransport(new InProcessChannel('Bench reader', card));
  const client = new SatochipClient({ send: (command) => transport.send(command) });
  await client.select('satochip');
  await client.getStatus();
  await client.initSecureChannel();
  await client.setup({ pin: '123456', puk: '11223344' });
  await client.verifyPin('123456');
  await client.importSeed(MNEMONIC);
  return {
    family: 'satochip',
    description: 'in-process Satochip emulator (protocol 0.12), seed from the "abandon ... about" mnemonic, one secure channel for all runs',
    card,
    signer: timedSigner(satochipSigner(client)),
    minimumApdus: (n) => 2 * n,
    // The card keeps its last derived key current: make it one no input uses, as after opening a session.
    beforeRun: async () => void (await client.getExtendedKey('m')),
  };
}

/** Once, untimed: the demo Keycard (seed "abandon ... about"), paired, channel open, PIN verified. */
async function keycardBenchCard(): Promise<BenchCard> {
  const card = new TimedCard(demoKeycard({ label: 'Tapdesk bench BTC PSBT Keycard', mnemonic: MNEMONIC }));
  const transport = new ApduTransport(new InProcessChannel('Bench Keycard reader', card));
  const client = new KeycardClient({ send: (command) => transport.send(command) });
  await openKeycard(client, { pairings: new MemoryPairingStore() });
  await client.verifyPin(DEMO_KEYCARD_PIN);
  return {
    family: 'keycard',
    description: 'in-process Keycard 3.1 emulator, same seed, one secure channel for all runs (SIGN derives the path itself: one APDU per input)',
    card,
    signer: timedSigner(keycardSigner(client)),
    minimumApdus: (n) => n,
    beforeRun: async () => undefined,
  };
}
