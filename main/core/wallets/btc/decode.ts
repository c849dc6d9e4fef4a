/**
 * The approval view of a PSBT, from main's own decoding (never from what the requester says): every
 * output with its address (or its kind and hex when it has none) and amount, which outputs come back
 * to the card's account (proved by derivation, see psbt-ownership), which inputs the card signs, the
 * inputs total, fee and fee rate, and warnings. Plain data: it crosses to the approval window as JSON.
 *
 * Scripts carry no network, so addresses are shown in the account network's encoding. A PSBT made for
 * another network shows itself in its key paths (another coin type under our fingerprint) or its
 * global xpubs (another version): that is the NETWORK_MISMATCH warning.
 */
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Psbt } from 'bitcoinjs-lib';
import type { Bip84Account } from './account.ts';
import { MAX_MONEY } from './amounts.ts';
import { bytesToHex, equalBytes } from './bytes.ts';
import { BtcError } from './errors.ts';
import { ABSURD_FEE_RATE, P2WPKH_WITNESS_WEIGHT, feeRateOf, weightToVbytes } from './fees.ts';
import type { BtcNetworkName } from './networks.ts';
import { BIP84_PURPOSE, BIP86_PURPOSE, HARDENED, chainName, parsePath } from './paths.ts';
import { describeInputs, describeOutputs, type InputInfo, type ScanDepth } from './psbt-ownership.ts';
import { unsignedTransaction } from './psbt-tx.ts';
import { classifyScript, opReturnData, scriptAddress, type ScriptType } from './scripts.ts';

export type ApprovalWarningCode =
  /** The fee is more than 10% of the amount sent out of the account. */
  | 'FEE_ABOVE_10_PERCENT'
  /** The fee rate is above the absurd rate (1000 sat/vB). */
  | 'ABSURD_FEE_RATE'
  /** An output pays a script with no address we know (bare script, unknown segwit version). */
  | 'UNKNOWN_SCRIPT_TYPE'
  /** An output carries OP_RETURN data. */
  | 'OP_RETURN'
  /** Keys or xpubs in the PSBT are of another network than the account's. */
  | 'NETWORK_MISMATCH'
  /** An input has no witnessUtxo. */
  | 'MISSING_WITNESS_UTXO'
  /** The fee cannot be known: an input's amount is missing or inconsistent. */
  | 'FEE_UNKNOWN'
  /** A bip32Derivation claims our fingerprint but its key or script is not the account's. */
  | 'UNPROVEN_KEY_CLAIM'
  /** An input of the card's seed that the card cannot sign here (taproot, legacy, nested segwit). */
  | 'CANNOT_SIGN'
  /** No input is for the card to sign. */
  | 'NOTHING_TO_SIGN';

export interface ApprovalWarning {
  readonly code: ApprovalWarningCode;
  readonly message: string;
  readonly input?: number;
  readonly output?: number;
}

export interface ApprovalInput {
  readonly index: number;
  readonly txid: string;
  readonly vout: number;
  /** Satoshis, null when the PSBT does not say (or says two different things). */
  readonly value: number | null;
  readonly address: string | null;
  readonly scriptType: ScriptType | null;
  /** The card's key for this input (path in the account), or null when it is someone else's. */
  readonly cardPath: string | null;
  /** The card signs this input when approved. */
  readonly willSign: boolean;
  /** Already signed by the card, or finalized. */
  readonly signed: boolean;
}

export interface ApprovalOutput {
  readonly index: number;
  readonly value: number;
  readonly scriptType: ScriptType;
  /** null for OP_RETURN and scripts without an address. */
  readonly address: string | null;
  readonly scriptHex: string;
  /** OP_RETURN payload, hex. */
  readonly dataHex: string | null;
  /** Back to the account's change chain, proved by derivation. */
  readonly change: boolean;
  /** Back to one of the account's own receive addresses. */
  readonly toSelf: boolean;
  /** The account path when `change` or `toSelf`. */
  readonly path: string | null;
  /** How that was proved. */
  readonly proof: 'bip32Derivation' | 'derived' | null;
}

export interface BtcApprovalView {
  readonly kind: 'btc-psbt';
  readonly network: BtcNetworkName;
  readonly networkLabel: string;
  readonly account: { readonly path: string; readonly fingerprint: string };
  readonly inputs: readonly ApprovalInput[];
  readonly outputs: readonly ApprovalOutput[];
  /** null when an input's amount is unknown. */
  readonly inputsTotal: number | null;
  readonly outputsTotal: number;
  /** The outputs that are not change (payments to our own receive addresses included: see `toSelf`). */
  readonly sent: number;
  readonly changeTotal: number;
  readonly fee: number | null;
  /** Virtual size once signed (estimated for inputs not finalized yet). */
  readonly vbytes: number;
  readonly vbytesEstimated: boolean;
  readonly feeRate: number | null;
  /** How many signatures the card will make. */
  readonly cardSignatures: number;
  readonly locktime: number;
  readonly rbf: boolean;
  readonly warnings: readonly ApprovalWarning[];
}

export interface DecodeOptions {
  /** How deep to derive the account's chains to recognise scripts without bip32Derivation. */
  readonly scan?: ScanDepth;
  /** Fee-rate warning threshold in sat/vB (default 1000). */
  readonly absurdFeeRate?: number;
}

const base58check = createBase58check(sha256);
/** Witness weight of a taproot key-path spend: item count, push, 64-byte signature. */
const P2TR_KEYPATH_WITNESS_WEIGHT = 1 + 1 + 64;

export function decodePsbtForApproval(psbt: Psbt, account: Bip84Account, options: DecodeOptions = {}): BtcApprovalView {
  const network = account.network;
  const inputs = describeInputs(psbt, account, options.scan);
  const outputs = describeOutputs(psbt, account, options.scan);
  const warnings: ApprovalWarning[] = [];

  const viewInputs = inputs.map((info): ApprovalInput => {
    const utxo = info.utxo.kind === 'ok' ? info.utxo : null;
    const cardPath = info.owner.kind === 'foreign' ? null : info.owner.path;
    const willSign = info.owner.kind === 'card' && !info.signed;
    if (!psbt.data.inputs[info.index]!.witnessUtxo) {
      warnings.push({
        code: 'MISSING_WITNESS_UTXO',
        input: info.index,
        message: utxo ? `input ${info.index} has no witnessUtxo; its amount comes from the full previous transaction` : `input ${info.index} has no witnessUtxo: its amount is unknown`,
      });
    }
    if (info.utxo.kind === 'mismatch') warnings.push({ code: 'FEE_UNKNOWN', input: info.index, message: `input ${info.index}: ${info.utxo.reason}` });
    if (!info.signed && (info.owner.kind === 'card-taproot' || info.owner.kind === 'card-unsupported')) {
      const type = info.owner.kind === 'card-taproot' ? 'taproot' : info.owner.scriptType;
      warnings.push({ code: 'CANNOT_SIGN', input: info.index, message: `input ${info.index} is a ${type} coin of this card's seed, which this wallet cannot sign` });
    }
    for (const path of info.unprovenClaims) {
      warnings.push({ code: 'UNPROVEN_KEY_CLAIM', input: info.index, message: `input ${info.index} names this card's key ${path}, but it does not derive to that coin` });
    }
    return {
      index: info.index,
      txid: info.txid,
      vout: info.vout,
      value: utxo ? utxo.value : null,
      address: utxo ? scriptAddress(utxo.script, network) : null,
      scriptType: utxo ? classifyScript(utxo.script) : null,
      cardPath,
      willSign,
      signed: info.signed,
    };
  });

  const viewOutputs = outputs.map((info): ApprovalOutput => {
    const scriptType = classifyScript(info.script);
    const address = scriptAddress(info.script, network);
    const chain = info.owner.kind === 'account' ? chainName(info.owner.location.chain) : null;
    if (scriptType === 'op_return') {
      warnings.push({ code: 'OP_RETURN', output: info.index, message: `output ${info.index} carries OP_RETURN data (${info.value} sat, unspendable)` });
    } else if (scriptType === 'unknown' || scriptType === 'witness_unknown') {
      warnings.push({ code: 'UNKNOWN_SCRIPT_TYPE', output: info.index, message: `output ${info.index} pays a script of unknown type: ${info.value} sat could be lost` });
    }
    for (const path of info.unprovenClaims) {
      warnings.push({ code: 'UNPROVEN_KEY_CLAIM', output: info.index, message: `output ${info.index} claims to be this card's ${path}, but it does not derive to that script: it is NOT change` });
    }
    return {
      index: info.index,
      value: info.value,
      scriptType,
      address,
      scriptHex: bytesToHex(info.script),
      dataHex: scriptType === 'op_return' ? bytesToHex(opReturnData(info.script)) : null,
      change: chain === 'change',
      toSelf: chain === 'receive',
      path: info.owner.kind === 'account' ? info.owner.path : null,
      proof: info.owner.kind === 'account' ? info.owner.proof : null,
    };
  });

  const outputsTotal = viewOutputs.reduce((sum, o) => sum + o.value, 0);
  const changeTotal = viewOutputs.reduce((sum, o) => sum + (o.change ? o.value : 0), 0);
  const sent = outputsTotal - changeTotal;
  const known = viewInputs.every((i) => i.value !== null);
  const inputsTotal = known ? viewInputs.reduce((sum, i) => sum + i.value!, 0) : null;
  if (inputsTotal !== null && inputsTotal > MAX_MONEY) throw new BtcError('INVALID_PSBT', 'the inputs total more than 21,000,000 BTC', { reason: `${inputsTotal} sat` });
  const fee = inputsTotal === null ? null : inputsTotal - outputsTotal;
  if (fee !== null && fee < 0) throw new BtcError('INVALID_PSBT', 'the outputs spend more than the inputs', { reason: `inputs ${inputsTotal} sat, outputs ${outputsTotal} sat` });
  const size = estimateVbytes(psbt, inputs);
  const feeRate = fee === null ? null : feeRateOf(fee, size.vbytes);
  const absurd = options.absurdFeeRate ?? ABSURD_FEE_RATE;

  if (fee === null) {
    if (!warnings.some((w) => w.code === 'FEE_UNKNOWN')) warnings.push({ code: 'FEE_UNKNOWN', message: 'the fee is unknown: an input does not give its amount' });
  } else {
    if (sent > 0 && fee * 10 > sent) {
      warnings.push({ code: 'FEE_ABOVE_10_PERCENT', message: `the fee (${fee} sat) is more than 10% of the amount sent (${sent} sat)` });
    } else if (sent === 0 && fee * 10 > inputsTotal!) {
      warnings.push({ code: 'FEE_ABOVE_10_PERCENT', message: `everything comes back as change, and the fee (${fee} sat) is more than 10% of the coins spent (${inputsTotal} sat)` });
    }
    if (fee / size.vbytes > absurd) {
      warnings.push({ code: 'ABSURD_FEE_RATE', message: `the fee rate (${feeRate} sat/vB) is above ${absurd} sat/vB` });
    }
  }
  warnings.push(...networkWarnings(psbt, account));
  const cardSignatures = viewInputs.filter((i) => i.willSign).length;
  if (cardSignatures === 0) warnings.push({ code: 'NOTHING_TO_SIGN', message: 'the card has nothing to sign in this PSBT' });

  const tx = unsignedTransaction(psbt);
  return {
    kind: 'btc-psbt',
    network: network.name,
    networkLabel: network.label,
    account: { path: account.path, fingerprint: account.fingerprintHex },
    inputs: viewInputs,
    outputs: viewOutputs,
    inputsTotal,
    outputsTotal,
    sent,
    changeTotal,
    fee,
    vbytes: size.vbytes,
    vbytesEstimated: size.estimated,
    feeRate,
    cardSignatures,
    locktime: tx.locktime,
    rbf: tx.ins.some((input) => input.sequence < 0xfffffffe),
    warnings,
  };
}

/**
 * Virtual size once every input is signed: finalized inputs count as they are; P2WPKH and taproot
 * key-path inputs count their witness at its largest; other inputs are unknown (counted without a
 * witness, and `estimated` says so).
 */
function estimateVbytes(psbt: Psbt, inputs: readonly InputInfo[]): { vbytes: number; estimated: boolean } {
  const tx = unsignedTransaction(psbt);
  let weight = tx.byteLength(false) * 4 + 2;
  let estimated = false;
  inputs.forEach((info, index) => {
    const input = psbt.data.inputs[index]!;
    if (input.finalScriptSig) weight += (input.finalScriptSig.length + varIntGrowth(input.finalScriptSig.length)) * 4;
    if (input.finalScriptWitness) {
      weight += input.finalScriptWitness.length;
      return;
    }
    const type = info.utxo.kind === 'ok' ? classifyScript(info.utxo.script) : null;
    if (type === 'p2wpkh') weight += P2WPKH_WITNESS_WEIGHT;
    else if (type === 'p2tr') weight += P2TR_KEYPATH_WITNESS_WEIGHT;
    else {
      weight += 1;
      estimated = true;
    }
  });
  return { vbytes: weightToVbytes(weight), estimated };
}

/** Bytes a scriptSig length prefix needs beyond the 1 already counted in the unsigned input. */
function varIntGrowth(length: number): number {
  return length < 0xfd ? 0 : length <= 0xffff ? 2 : 4;
}

/** NETWORK_MISMATCH from our-fingerprint key paths with another coin type, and global xpubs of another version. */
function networkWarnings(psbt: Psbt, account: Bip84Account): ApprovalWarning[] {
  const warnings: ApprovalWarning[] = [];
  const coin = account.network.coinType + HARDENED;
  const wrongCoin = (path: string) => {
    const indexes = parsePath(path);
    return (
      indexes !== null &&
      indexes.length >= 2 &&
      (indexes[0] === BIP84_PURPOSE + HARDENED || indexes[0] === BIP86_PURPOSE + HARDENED || indexes[0] === 44 + HARDENED || indexes[0] === 49 + HARDENED) &&
      indexes[1] !== coin
    );
  };
  const ours = (fingerprint: Uint8Array) => equalBytes(fingerprint, account.masterFingerprint);
  const seen = new Set<string>();
  const flag = (path: string, where: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    warnings.push({
      code: 'NETWORK_MISMATCH',
      message: `${where} uses this card's key ${path}, whose coin type is not ${account.network.coinType} (${account.network.name}): the PSBT was made for another network`,
    });
  };
  psbt.data.inputs.forEach((input, i) => {
    for (const entry of [...(input.bip32Derivation ?? []), ...(input.tapBip32Derivation ?? [])]) {
      if (ours(entry.masterFingerprint) && wrongCoin(entry.path)) flag(entry.path, `input ${i}`);
    }
  });
  psbt.data.outputs.forEach((output, i) => {
    for (const entry of [...(output.bip32Derivation ?? []), ...(output.tapBip32Derivation ?? [])]) {
      if (ours(entry.masterFingerprint) && wrongCoin(entry.path)) flag(entry.path, `output ${i}`);
    }
  });
  for (const xpub of psbt.data.globalMap.globalXpub ?? []) {
    const version = new DataView(xpub.extendedPubkey.buffer, xpub.extendedPubkey.byteOffset).getUint32(0);
    if (version !== account.network.params.bip32.public && isKnownVersionOfOtherNetwork(version, account.network.params.bip32.public)) {
      warnings.push({ code: 'NETWORK_MISMATCH', message: `the PSBT carries an extended key (${base58check.encode(xpub.extendedPubkey).slice(0, 4)}...) of another network` });
    } else if (ours(xpub.masterFingerprint) && wrongCoin(xpub.path)) {
      flag(xpub.path, 'a global xpub');
    }
  }
  return warnings;
}

/** xpub/ypub/zpub (mainnet) vs tpub/upub/vpub (test networks). */
const MAINNET_VERSIONS = [0x0488b21e, 0x049d7cb2, 0x04b24746];
const TEST_VERSIONS = [0x043587cf, 0x044a5262, 0x045f1cf6];

function isKnownVersionOfOtherNetwork(version: number, ours: number): boolean {
  const mainnetAccount = MAINNET_VERSIONS.includes(ours);
  return mainnetAccount ? TEST_VERSIONS.includes(version) : MAINNET_VERSIONS.includes(version);
}
