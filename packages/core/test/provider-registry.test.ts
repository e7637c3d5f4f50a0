import { tempDir } from '@orrery/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILTIN_PROVIDER_KINDS,
  type ChatProvider,
  createGateway,
  type Gateway,
  type GatewayConfigInput,
  LLMConfigError,
  LLMProviderError,
  LLMTimeoutError,
  ManualClock,
  type ProviderAnswer,
  type ProviderCall,
  type ProviderFactory,
} from '../src/index.ts';
import { type Harness, harness } from './harness.ts';

/** A config whose only routed provider is `mine`, of the caller's kind `echo`. */
function echoConfig(timeoutMs = 10_000): GatewayConfigInput {
  return {
    providers: { mine: { kind: 'echo', baseUrl: 'http://127.0.0.1:1', timeoutMs } },
    prices: { 'mine/echo-1': { inputPer1k: 1, outputPer1k: 2 } },
    routing: { default: { prefer: [{ provider: 'mine', model: 'echo-1' }] }, trivial: { enabled: false } },
    budget: { maxCallsPerHour: 10, maxTokensPerHour: 1_000_000, reserveCalls: 0, reserveTokens: 0 },
  };
}

/** A provider answering `complete` with whatever `answer` gives; records the calls it got. */
function scripted(answer: (call: ProviderCall) => Promise<unknown>) {
  const calls: ProviderCall[] = [];
  const factory: ProviderFactory = ({ name, local }) => ({
    name,
    local,
    jsonHint: false,
    complete: (call) => {
      calls.push(call);
      return answer(call) as Promise<ProviderAnswer>;
    },
  });
  return { calls, factory };
}

const ask = (g: Gateway) =>
  g.execute({ task: 'analysis', messages: [{ role: 'user', content: 'hello there' }], maxTokens: 50 });

describe('createGateway(config, { providers }): provider implementations from the caller', () => {
  const dirs: { remove(): void }[] = [];
  const gateways: Gateway[] = [];
  const open = (config: GatewayConfigInput, providers?: Record<string, ProviderFactory>) => {
    const dir = tempDir('orrery-providers-');
    dirs.push(dir);
    const g = createGateway(config, {
      dbPath: `${dir.path}/gateway.db`,
      clock: new ManualClock(),
      providers,
    });
    gateways.push(g);
    return g;
  };
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
    for (const d of dirs.splice(0)) d.remove();
  });

  it("a caller's kind serves its entries: routed, priced, budgeted and in the ledger like a built-in", async () => {
    const echo = scripted(async (call) => ({
      type: 'ok',
      text: `echo: ${call.messages.at(-1)?.content}`,
      tokensIn: 100,
      tokensOut: 50,
    }));
    const g = open(echoConfig(), { echo: echo.factory });
    const res = await ask(g);
    expect(res).toMatchObject({
      provider: 'mine',
      model: 'echo-1',
      text: 'echo: hello there',
      success: true,
    });
    expect(res.costUsd).toBeCloseTo((100 * 1 + 50 * 2) / 1000, 12);
    expect(echo.calls).toHaveLength(1);
    expect(echo.calls[0]).toMatchObject({ model: 'echo-1', maxTokens: 50, timeoutMs: 10_000 });
    expect(g.budgetStatus()).toMatchObject({ callsUsed: 1, tokensUsed: 150 });
    expect(g.ledger.since(0)).toMatchObject([
      { provider: 'mine', model: 'echo-1', outcome: 'ok', tokensIn: 100 },
    ]);
  });

  it('a kind no factory serves is an LLMConfigError naming providers.<name>.kind and the known kinds', () => {
    let err: unknown;
    try {
      open(echoConfig());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LLMConfigError);
    expect((err as LLMConfigError).path).toBe('providers.mine.kind');
    expect((err as LLMConfigError).message).toContain('known: openai, anthropic');
    // registering it under another kind does not help
    expect(() => open(echoConfig(), { other: scripted(async () => ({})).factory })).toThrow(
      /unknown provider kind "echo" \(known: openai, anthropic, other\)/,
    );
  });

  it("a caller's provider that never answers ends at timeoutMs with LLMTimeoutError, its signal aborted, and the call is spent", async () => {
    const signals: AbortSignal[] = [];
    const hang = scripted(
      (call) =>
        new Promise(() => {
          if (call.signal !== undefined) signals.push(call.signal);
        }),
    );
    const g = open(echoConfig(40), { echo: hang.factory });
    await expect(ask(g)).rejects.toBeInstanceOf(LLMTimeoutError);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(g.budgetStatus().callsUsed).toBe(1);
    expect(g.ledger.since(0)).toMatchObject([
      { provider: 'mine', outcome: 'error', code: 'ORRERY_LLM_TIMEOUT' },
    ]);
  });

  it.each([
    ['no text', { type: 'ok', tokensIn: 1, tokensOut: 1 }],
    ['negative tokens', { type: 'ok', text: 'x', tokensIn: -5, tokensOut: 1 }],
    ['NaN tokens', { type: 'ok', text: 'x', tokensIn: 1, tokensOut: Number.NaN }],
    ['an unknown type', { type: 'maybe' }],
    ['a 500 dressed as rate_limited', { type: 'rate_limited', status: 500 }],
    ['a negative Retry-After', { type: 'rate_limited', status: 429, retryAfterMs: -1 }],
    ['null', null],
  ])('an answer with %s is an LLMProviderError, and the call is spent', async (_, answer) => {
    const bad = scripted(async () => answer);
    const g = open(echoConfig(), { echo: bad.factory });
    const err = await ask(g).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMProviderError);
    expect(g.budgetStatus().callsUsed).toBe(1);
  });

  describe('a factory may replace a built-in kind (here: counting, then the built-in OpenAI wire)', () => {
    let h: Harness;
    afterEach(async () => h.close());

    it('every openai entry is built by it and still talks to the server', async () => {
      h = await harness();
      h.server.script('cheap', [{ text: 'from the server' }]);
      const built: string[] = [];
      const counting: ProviderFactory = (ctx) => {
        built.push(ctx.name);
        return BUILTIN_PROVIDER_KINDS.openai(ctx) satisfies ChatProvider;
      };
      const g = h.gateway({}, { providers: { openai: counting } });
      expect((await ask(g)).text).toBe('from the server');
      expect(built.sort()).toEqual(['backup', 'ollama', 'openai']);
      expect(h.server.requestsFor('cheap')).toHaveLength(1);
    });
  });
});
