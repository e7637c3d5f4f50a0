/**
 * The gateway's requests against today's wire formats as their owners define them: the official `openai`
 * and `@anthropic-ai/sdk` clients send the same logical request to the same loopback server and the
 * captured requests are compared (path, auth and content headers, body); the OpenAI bodies are also
 * validated against `CreateChatCompletionRequest` of OpenAI's OpenAPI spec (a vendored extract, see
 * fixtures/openai-openapi), and the loopback server's answers against `CreateChatCompletionResponse`.
 */
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { Ajv2020 } from 'ajv/dist/2020.js';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatMessage } from '../src/index.ts';
import { ANTHROPIC_KEY, type Harness, harness, OPENAI_KEY } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  h.server.setDefault(() => ({ json: { action: 'hold', size: 0 } }));
});
afterEach(async () => {
  await h.close();
});

const Decision = z.strictObject({ action: z.enum(['buy', 'sell', 'hold']), size: z.number() });
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You decide trades.' },
  { role: 'user', content: 'BTC/USD closed at 97,000; decide.' },
];

const spec = JSON.parse(
  readFileSync(new URL('./fixtures/openai-openapi/chat-completions.json', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, unknown> } };

/**
 * The spec marks some `anyOf` unions `nullable` (an OpenAPI 3.0 keyword) without a `type`, which Ajv
 * refuses; there the union itself lists `null`, so the keyword is dropped.
 */
function dropUntypedNullable(node: unknown): void {
  if (Array.isArray(node)) for (const n of node) dropUntypedNullable(n);
  else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ('nullable' in o && !('type' in o)) delete o.nullable;
    for (const v of Object.values(o)) dropUntypedNullable(v);
  }
}
dropUntypedNullable(spec.components);

/** A validator for one schema of the vendored OpenAPI extract (OpenAPI 3.1 = JSON Schema 2020-12). */
function openApiValidator(name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'openai', components: spec.components });
  return ajv.compile({ $ref: `openai#/components/schemas/${name}` });
}

/** The header a client authenticates with, and how (the key itself is never compared). */
function auth(headers: Record<string, unknown>, key: string): string[] {
  const out: string[] = [];
  if (headers.authorization === `Bearer ${key}`) out.push('authorization: Bearer');
  if (headers['x-api-key'] === key) out.push('x-api-key');
  return out;
}

/** `$schema` is a JSON Schema annotation the SDK's zod helper adds; OpenAI ignores it. */
function withoutSchemaKeyword(format: unknown): unknown {
  const f = structuredClone(format) as { json_schema?: { schema?: Record<string, unknown> } };
  delete f.json_schema?.schema?.$schema;
  return f;
}

describe('OpenAI Chat Completions: the gateway sends what the official SDK sends', () => {
  it('same path, auth scheme, content type and body for a structured-output request', async () => {
    const g = h.gateway();
    await g.execute({
      task: 'trade_decision',
      messages: MESSAGES,
      schema: Decision,
      maxTokens: 300,
      temperature: 0.2,
      target: { provider: 'openai', model: 'cheap' },
    });
    const ours = h.server.requests[0];
    const sent = ours?.body as { messages: unknown; response_format: unknown };
    const sdk = new OpenAI({ baseURL: `${h.server.url}/v1`, apiKey: OPENAI_KEY, maxRetries: 0 });
    await sdk.chat.completions.create({
      model: 'cheap',
      // The messages the gateway sent (it may add its JSON-answer hint), so only the format differs.
      messages: sent.messages as OpenAI.ChatCompletionMessageParam[],
      response_format: zodResponseFormat(Decision, 'trade_decision'),
      max_completion_tokens: 300,
      temperature: 0.2,
    });
    const theirs = h.server.requests[1];
    expect(ours?.method).toBe(theirs?.method);
    expect(ours?.path).toBe(theirs?.path);
    expect(String(ours?.headers['content-type'])).toMatch(/^application\/json/);
    expect(auth(ours?.headers ?? {}, OPENAI_KEY)).toEqual(auth(theirs?.headers ?? {}, OPENAI_KEY));
    const theirBody = theirs?.body as Record<string, unknown>;
    // The one deliberate difference: `stream: false` is sent explicitly (the spec's default), for
    // OpenAI-compatible servers that would otherwise stream.
    expect(sent).toMatchObject({ stream: false });
    expect({ ...sent, response_format: withoutSchemaKeyword(sent.response_format) }).toEqual({
      ...theirBody,
      stream: false,
      response_format: withoutSchemaKeyword(theirBody.response_format),
    });
  });

  it('every request shape the gateway sends is a valid CreateChatCompletionRequest', async () => {
    const valid = openApiValidator('CreateChatCompletionRequest');
    // Its own "request" is refused: the validator does reject what the spec does not allow.
    expect(valid({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] })).toBe(false);
    expect(valid({ model: 'm', messages: [], response_format: { type: 'json_schema' } })).toBe(false);
    const g = h.gateway();
    await g.execute({ task: 'trade_decision', messages: MESSAGES, schema: Decision, temperature: 0.3 });
    await g.execute({
      task: 'analysis',
      messages: MESSAGES,
      schema: z.object({ note: z.string().optional() }),
    });
    await g.execute({
      task: 'analysis',
      messages: MESSAGES,
      target: { provider: 'openai', model: 'o3-mini' },
    });
    await g.execute({ task: 'analysis', messages: MESSAGES, target: { provider: 'ollama', model: 'tiny' } });
    const bodies = h.server.requests.filter((r) => r.wire === 'openai').map((r) => r.body);
    expect(bodies).toHaveLength(4);
    for (const body of bodies) {
      const ok = valid(body);
      expect(ok ? [] : valid.errors, JSON.stringify(body)).toEqual([]);
    }
  });

  it("the loopback server's answers are valid CreateChatCompletionResponse bodies", async () => {
    const valid = openApiValidator('CreateChatCompletionResponse');
    expect(valid({ id: 'x', object: 'chat.completion', choices: [] })).toBe(false);
    const res = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cheap', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.json();
    const ok = valid(body);
    expect(ok ? [] : valid.errors, JSON.stringify(body)).toEqual([]);
  });
});

describe('Anthropic Messages: the gateway sends what the official SDK sends', () => {
  // The gateway pins `anthropic-version: 2023-06-01`, under which `temperature` is accepted (0–1, see
  // wire-formats.test.ts). SDK 1.x sends API version 2026-10-21, which rejects temperature, top_p and
  // top_k, and no longer types them; so the SDK's request is compared with ours less its temperature.
  it('same path, content type and body; the key in x-api-key with an anthropic-version date', async () => {
    const g = h.gateway();
    await g.execute({
      task: 'analysis',
      messages: MESSAGES,
      maxTokens: 300,
      target: { provider: 'anthropic', model: 'claude' },
    });
    const ours = h.server.requests[0];
    const sent = ours?.body as { system: string; messages: Anthropic.MessageParam[] };
    const sdk = new Anthropic({ baseURL: h.server.url, apiKey: ANTHROPIC_KEY, maxRetries: 0 });
    await sdk.messages.create({
      model: 'claude',
      max_tokens: 300,
      system: sent.system,
      messages: sent.messages,
    });
    const theirs = h.server.requests[1];
    expect(ours?.method).toBe(theirs?.method);
    expect(ours?.path).toBe(theirs?.path);
    expect(String(ours?.headers['content-type'])).toMatch(/^application\/json/);
    // The gateway's default temperature (0.2) is the one field the SDK no longer sends.
    const { temperature, ...rest } = (ours?.body ?? {}) as Record<string, unknown>;
    expect(temperature).toBe(0.2);
    expect(rest).toEqual(theirs?.body);
    // The API reads x-api-key (this SDK version sends the key as a bearer token; both are accepted).
    expect(auth(ours?.headers ?? {}, ANTHROPIC_KEY)).toEqual(['x-api-key']);
    expect(auth(theirs?.headers ?? {}, ANTHROPIC_KEY)).not.toEqual([]);
    expect(ours?.headers['anthropic-version']).toBe('2023-06-01');
    expect(String(theirs?.headers['anthropic-version'])).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
