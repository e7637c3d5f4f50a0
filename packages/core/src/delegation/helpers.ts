import type { Gateway } from '../gateway.ts';
import { delegateWithFallback, type FallbackOptions } from './delegate.ts';
import type { DelegationResult } from './result.ts';

/** Options of the task helpers: those of {@link delegateWithFallback} except the task. */
export type HelperOptions = Omit<FallbackOptions, 'task'>;

/**
 * A short answer (`quick` task) down its fallback chain. Never throws for LLM failures.
 *
 * @example
 * const r = await quick(gateway, 'What port does Ollama listen on?');
 * if (r.success) console.log(r.text);
 */
export function quick(
  gateway: Gateway,
  prompt: string,
  options: HelperOptions = {},
): Promise<DelegationResult> {
  return delegateWithFallback(gateway, prompt, { ...options, task: 'quick' });
}

/** A review of a diff or code (`review` task). Never throws for LLM failures. */
export function review(
  gateway: Gateway,
  diff: string,
  options: HelperOptions = {},
): Promise<DelegationResult> {
  return delegateWithFallback(gateway, diff, { ...options, task: 'review' });
}

/**
 * A summary (`summarise` task — one of the gateway's trivial tasks, so it goes to the local model first
 * when `routing.trivial.enabled`). Never throws for LLM failures.
 */
export function summarise(
  gateway: Gateway,
  text: string,
  options: HelperOptions = {},
): Promise<DelegationResult> {
  return delegateWithFallback(gateway, text, { ...options, task: 'summarise' });
}

/** A translation into `to` (a language name, e.g. `French`; `translation` task). Never throws for LLM failures. */
export function translate(
  gateway: Gateway,
  text: string,
  to: string,
  options: HelperOptions = {},
): Promise<DelegationResult> {
  return delegateWithFallback(gateway, `Translate into ${to}:\n\n${text}`, {
    ...options,
    task: 'translation',
  });
}

/** Code written or fixed as asked (`coding` task). Never throws for LLM failures. */
export function writeCode(
  gateway: Gateway,
  prompt: string,
  options: HelperOptions = {},
): Promise<DelegationResult> {
  return delegateWithFallback(gateway, prompt, { ...options, task: 'coding' });
}
