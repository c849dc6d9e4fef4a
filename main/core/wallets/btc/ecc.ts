/**
 * The secp256k1 implementation of this layer: @bitcoinerlab/secp256k1 (audited noble-curves inside),
 * registered once as bitcoinjs-lib's ECC library so its taproot code paths (foreign P2TR inputs in an
 * imported PSBT) work too.
 */
import * as ecc from '@bitcoinerlab/secp256k1';
import { initEccLib } from 'bitcoinjs-lib';

initEccLib(ecc);

export { ecc };
