/**
 * Card-side emulators of the Satochip (protocol 0.12 / applet 0.6) and Seedkeeper (protocol 0.2 /
 * applet 0.1) applets, written from ../shared/protocols/satochip-seedkeeper.md and checked byte for
 * byte against the transcripts recorded from the real applets (../shared/vectors/satochip). They
 * implement `CardEmulator` (drivers/virtual/emulator.ts): use them in-process or through vpcd.
 *
 * Where they knowingly differ from the real cards:
 * - ECDSA nonces are deterministic (RFC 6979) unless another `signer` is injected; the cards draw
 *   random nonces. Signatures are not low-S normalised, as on the cards.
 * - Uncaught Java Card exceptions answer as on the simulator the vectors were recorded on:
 *   CryptoException reason codes (0001 invalid point, 0002 uninitialised key, 0005 bad length),
 *   other runtime faults 6F00 (physical cards answer 6F00 for all of them).
 * - Satochip raw-transaction signing (6F/71, the old path) answers 9C05; the BIP32 cache is keyed by
 *   the full path, not a 4-byte hash of it.
 * - Reading 80 bytes of a too-short PUBKEY object, the Seedkeeper sees zeros past its end (the card
 *   sees whatever its scratch buffer held).
 * Behaviours of the applets kept on purpose (they are what a host meets on a real card): a wrapped
 * command without data sees its first PKCS#7 padding byte as Lc (send an explicit `00` Lc where
 * "no data" matters, e.g. to clear the label); the Seedkeeper A8 answer ends with 2 extra bytes;
 * a Seedkeeper log read walks the empty ring slots as zero records.
 */
export { SIMULATOR_ATR, type AppletOptions } from './applet.ts';
export { defaultSigner, type EcdsaSigner } from './crypto.ts';
export { demoCertificateAuthority, demoSatochip, demoSeedkeeper } from './demo.ts';
export { ScriptedRandom, seededRandom, systemRandom, type RandomSource } from './random.ts';
export { SatochipEmulator, type SatochipOptions } from './satochip.ts';
export { SeedkeeperEmulator, type NfcPolicy, type SeedkeeperOptions } from './seedkeeper.ts';
export { createTestCa, issueDeviceCertificate, type DeviceCertificateOptions, type Product, type TestCertificateAuthority } from './test-pki.ts';
