import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RunnerError, RunnerErrorCode } from '../errors.ts';

/** One prompt of a batch file. */
export interface BatchItem {
  /** 1-based line number in the file. */
  line: number;
  prompt: string;
  /** The task for this prompt (the command's `--task` when the line names none). */
  task: string;
  /** The caller's id for the prompt, echoed in its result. */
  id?: string | number | undefined;
}

const jsonLine = z.strictObject({
  prompt: z.string().refine((s) => s.trim() !== '', 'must not be empty'),
  task: z.string().min(1).optional(),
  id: z.union([z.string(), z.number()]).optional(),
});

/**
 * Reads a batch file: one prompt per line, or JSONL objects `{"prompt": …, "task"?: …, "id"?: …}` (a line
 * starting with `{` is JSON; the two forms may mix). Blank lines are skipped.
 *
 * @throws RunnerError `ORRERY_USAGE` naming the file and line of the first bad entry, or an unreadable file.
 */
export function readBatchFile(path: string, defaultTask: string): BatchItem[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RunnerError(RunnerErrorCode.USAGE, `--batch ${path}: cannot read (${(err as Error).message})`, {
      cause: err,
    });
  }
  return parseBatch(text, path, defaultTask);
}

/** Parses a batch file's text; see {@link readBatchFile}. */
export function parseBatch(text: string, source: string, defaultTask: string): BatchItem[] {
  const items: BatchItem[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('{')) {
      items.push({ line, prompt: trimmed, task: defaultTask });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw bad(source, line, `not valid JSON (${(err as Error).message})`);
    }
    const parsed = jsonLine.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw bad(source, line, `${where}${issue?.message ?? 'invalid'} (expected {"prompt", "task"?, "id"?})`);
    }
    const { prompt, task, id } = parsed.data;
    items.push({ line, prompt, task: task ?? defaultTask, ...(id === undefined ? {} : { id }) });
  }
  if (items.length === 0) throw new RunnerError(RunnerErrorCode.USAGE, `--batch ${source}: no prompts in it`);
  return items;
}

function bad(source: string, line: number, message: string): RunnerError {
  return new RunnerError(RunnerErrorCode.USAGE, `--batch ${source} line ${line}: ${message}`);
}
