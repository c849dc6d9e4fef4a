/** The app's screens, in nav order. Later screens flip `ready` to true when they land. */
export type ScreenId = 'readers' | 'sign' | 'accounts' | 'send' | 'psbt' | 'keycard' | 'settings' | 'backup' | 'attestation';

export interface ScreenEntry {
  readonly id: ScreenId;
  readonly label: string;
  readonly ready: boolean;
}

export const SCREENS: readonly ScreenEntry[] = [
  { id: 'readers', label: 'Readers', ready: true },
  { id: 'sign', label: 'Sign message', ready: true },
  { id: 'accounts', label: 'Accounts', ready: true },
  { id: 'send', label: 'Send', ready: true },
  { id: 'psbt', label: 'PSBT', ready: true },
  { id: 'keycard', label: 'New Keycard wallet', ready: true },
  { id: 'settings', label: 'Networks', ready: true },
  { id: 'backup', label: 'Backup', ready: false },
  { id: 'attestation', label: 'Attestation', ready: false },
];
