import type { ModelTarget } from '@orrery/core';
import { InvalidArgumentError } from 'commander';

/** Commander parser of a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Commander parser of a positive number option (e.g. `--days 0.5`). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/**
 * Commander parser of `--chain provider/model[,provider/model…]`. The provider is what precedes the first
 * `/`; the model may contain more (`openrouter/meta-llama/llama-3.1-8b`).
 */
export function parseChain(value: string): ModelTarget[] {
  const out: ModelTarget[] = [];
  for (const part of value.split(',')) {
    const p = part.trim();
    const slash = p.indexOf('/');
    if (slash <= 0 || slash === p.length - 1)
      throw new InvalidArgumentError(`"${p}" is not provider/model (e.g. ollama/llama3.2:3b)`);
    out.push({ provider: p.slice(0, slash), model: p.slice(slash + 1) });
  }
  return out;
}
