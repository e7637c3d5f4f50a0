import { createHash } from 'node:crypto';
import { schemaIdentity } from '../cache.ts';
import type { LLMRequest } from '../request.ts';
import type { Redact } from '../secret-redactor.ts';

/**
 * The part of a request that decides its answer, independent of the provider that served it: the task,
 * the messages (line endings unified), the answer schema as JSON Schema, temperature, token cap and the
 * pinned target. Who asked, the budget chain, the cache settings and the signal are left out.
 */
export interface NormalisedRequest {
  task: string;
  messages: [role: string, content: string][];
  schema: string | null;
  temperature: number | null;
  maxTokens: number | null;
  target: [provider: string, model: string] | null;
}

const keep: Redact = (text) => text;

/**
 * The normalised form of `req` (see {@link NormalisedRequest}), its task and messages passed through
 * `redact` (default: kept as they are).
 */
export function normaliseRequest(req: LLMRequest<unknown>, redact: Redact = keep): NormalisedRequest {
  return {
    task: redact(String(req.task)),
    // Tolerant of malformed requests: the gateway refuses those, and the refusal is recorded too.
    messages: (Array.isArray(req.messages) ? req.messages : []).map((m) => [
      String(m?.role),
      redact(String(m?.content).replace(/\r\n?/g, '\n')),
    ]),
    schema: schemaIdentity(req.schema),
    temperature: req.temperature ?? null,
    maxTokens: req.maxTokens ?? null,
    target: req.target === undefined ? null : [req.target.provider, req.target.model],
  };
}

/**
 * SHA-256 (hex) of the normalised request's JSON: the key a recorded answer is stored and replayed
 * under. Recording and replay hash the prompt with its secrets redacted (`redact`), so a replay whose
 * prompts hold `[redacted]` where the recorded run's held a key (a replayed answer echoed it) still finds
 * its answers.
 */
export function requestHash(req: LLMRequest<unknown>, redact: Redact = keep): string {
  return hashOf(normaliseRequest(req, redact));
}

/** SHA-256 (hex) of a normalised request (see {@link requestHash}). */
export function hashOf(request: NormalisedRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}
