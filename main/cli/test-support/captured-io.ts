/**
 * Test support: a CliIo that keeps what a command prints (stdout and stderr lines), with the
 * environment given and, when `answer` is given, a hidden prompt that answers each question and
 * keeps it in `asked` (without `answer` there is no terminal: nothing can be asked).
 */
import type { CliIo } from '../../cli.ts';

export type CapturedIo = CliIo & { readonly stdout: string[]; readonly stderr: string[]; readonly asked: string[] };

export interface CapturedIoOptions {
  readonly answer?: (question: string) => string;
  readonly onCardPrompt?: CliIo['onCardPrompt'];
}

export function capturedIo(env: Record<string, string> = {}, options: CapturedIoOptions = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const asked: string[] = [];
  const { answer, onCardPrompt } = options;
  return {
    stdout,
    stderr,
    asked,
    env,
    out: (line) => void stdout.push(line),
    err: (line) => void stderr.push(line),
    ...(answer ? { promptSecret: async (question: string) => (asked.push(question), answer(question)) } : {}),
    ...(onCardPrompt ? { onCardPrompt } : {}),
  };
}
