import { readBatchFile } from '../../delegation/batch-file.ts';
import { loadDelegationSetup } from '../../delegation/load.ts';
import { openGateway } from '../../delegation/open-gateway.ts';
import { type DelegateRequest, runDelegate } from '../../delegation/run-delegate.ts';
import { readStdin } from '../../delegation/stdin.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import type { DelegateFlags, DelegateStreams } from '../delegate.ts';
import type { CliIO } from '../io.ts';

/** Runs `orrery delegate` (see its registration in ../delegate.ts). */
export async function delegate(
  words: string[],
  flags: DelegateFlags,
  io: CliIO,
  streams: DelegateStreams,
): Promise<void> {
  const setup = loadDelegationSetup({ file: flags.config, env: io.env, cwd: io.cwd });
  const task = flags.task ?? setup.delegation.defaultTask;
  let input: DelegateRequest['input'];
  if (flags.batch !== undefined) {
    if (words.length > 0)
      throw new RunnerError(RunnerErrorCode.USAGE, 'give either a prompt or --batch FILE, not both');
    input = { batch: readBatchFile(flags.batch, task) };
  } else if (words.length > 0) {
    input = { prompt: words.join(' '), task };
  } else {
    const stdin = streams.stdin ?? process.stdin;
    if (stdin.isTTY === true)
      throw new RunnerError(
        RunnerErrorCode.USAGE,
        'no prompt: pass it as an argument, pipe it on stdin, or use --batch FILE',
      );
    const prompt = await readStdin(stdin);
    if (prompt.trim() === '') throw new RunnerError(RunnerErrorCode.USAGE, 'no prompt: stdin was empty');
    input = { prompt, task };
  }
  const gateway = openGateway(setup.loaded);
  try {
    await runDelegate(
      {
        input,
        json: flags.json === true,
        concurrency: flags.concurrency,
        chain: flags.chain,
        system: flags.system,
        maxTokens: flags.maxTokens,
        timeoutMs: flags.timeout,
      },
      setup,
      gateway,
      io,
      streams.progress ?? process.stderr,
    );
  } finally {
    await gateway.close();
  }
}
