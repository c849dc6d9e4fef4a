import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand, type CommandApdu } from '../../pcsc/apdu.ts';
import { loadVector } from '../test-support/vectors.ts';
import { readCardIdentifier } from './card-identifier.ts';

const pki = loadVector('satochip-transcript-pki.json') as {
  transcript: { command: string; response: string }[];
  results: { device_identifier_bytes: string };
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('card-manager identifier', () => {
  it('sends exactly the recorded GET DATA commands and yields the recorded (empty) identifier', async () => {
    const script = pki.transcript.slice(0, 3);
    let i = 0;
    const identifier = await readCardIdentifier(async (command: CommandApdu) => {
      const step = script[i++]!;
      expect(hex(encodeCommand(command))).toBe(step.command);
      return decodeResponse(Buffer.from(step.response, 'hex'));
    });
    expect(i).toBe(3);
    expect(hex(identifier)).toBe(pki.results.device_identifier_bytes);
  });

  it('concatenates the data fields of the answers that succeed, without status words', async () => {
    const answers = ['9f7f2a0102039000', '6a88', 'aabb9000'];
    let i = 0;
    const identifier = await readCardIdentifier(async () => decodeResponse(Buffer.from(answers[i++]!, 'hex')));
    expect(hex(identifier)).toBe('9f7f2a010203aabb');
  });
});
