import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LLMConfigError, LLMPolicyError, parseGatewayConfig, RoutingPolicy } from '../src/index.ts';
import { ask, type Harness, harness, loopbackConfig } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const prefer = [
  { provider: 'openai', model: 'smart' },
  { provider: 'anthropic', model: 'claude' },
  { provider: 'openai', model: 'unpriced' },
  { provider: 'backup', model: 'spare' },
];

describe('RoutingPolicy (FR-2)', () => {
  it('resolves the prefer list in order, skipping over-cost (and unpriced) candidates', () => {
    const g = h.gateway({ routing: { rules: { analysis: { prefer, maxCostPer1k: 0.005 } } } });
    expect(g.candidatesFor('analysis')).toEqual([
      { provider: 'anthropic', model: 'claude' },
      { provider: 'backup', model: 'spare' },
    ]);
    const all = h.gateway({ routing: { rules: { analysis: { prefer } } } });
    expect(all.candidatesFor('analysis')).toHaveLength(4);
  });

  it('skips cooling candidates, and goes to the first one left', async () => {
    const g = h.gateway({ routing: { rules: { analysis: { prefer, maxCostPer1k: 0.005 } } } });
    h.server.script('claude', [{ status: 429 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    expect(g.candidatesFor('analysis')).toEqual([{ provider: 'backup', model: 'spare' }]);
    const res = await g.execute({ task: 'analysis', messages: ask('x') });
    expect(res.provider).toBe('backup');
    expect(h.server.requestsFor('smart')).toHaveLength(0);
  });

  it('talks Anthropic Messages to an anthropic candidate', async () => {
    const g = h.gateway({
      routing: { rules: { analysis: { prefer: [{ provider: 'anthropic', model: 'claude' }] } } },
    });
    h.server.script('claude', [{ text: 'hi', usage: { input: 11, output: 3 } }]);
    const res = await g.execute({
      task: 'analysis',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      maxTokens: 64,
    });
    expect(res).toMatchObject({ text: 'hi', tokensIn: 11, tokensOut: 3, provider: 'anthropic' });
    const req = h.server.requestsFor('claude')[0];
    expect(req?.path).toBe('/v1/messages');
    expect(req?.headers['anthropic-version']).toBe('2023-06-01');
    expect(req?.headers['x-api-key']).toBeDefined();
    expect(req?.body).toMatchObject({
      system: 'be brief',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hello' }],
    });
  });
});

describe('trivial / judgment policy', () => {
  it('sends trivial tasks to the local model when enabled, with its limits', async () => {
    const g = h.gateway({
      routing: { trivial: { enabled: true, maxTokens: 128, temperature: 0, timeoutMs: 5_000 } },
    });
    const res = await g.execute({ task: 'summarise', messages: ask('long text'), maxTokens: 4_000 });
    expect(res).toMatchObject({ provider: 'ollama', model: 'tiny', costUsd: 0 });
    expect(h.server.requestsFor('tiny')[0]?.body).toMatchObject({ max_tokens: 128, temperature: 0 });
  });

  it('keeps trivial tasks on the paid route when the local model is disabled', async () => {
    const g = h.gateway();
    expect(g.candidatesFor('summarise')).toEqual([{ provider: 'openai', model: 'cheap' }]);
  });

  it('never routes a judgment task to the local model', async () => {
    const g = h.gateway({
      routing: {
        trivial: { enabled: true },
        default: {
          prefer: [
            { provider: 'ollama', model: 'tiny' },
            { provider: 'openai', model: 'cheap' },
          ],
        },
      },
    });
    expect(g.candidatesFor('trade_decision')).toEqual([{ provider: 'openai', model: 'cheap' }]);
    expect(g.candidatesFor('title')[0]).toEqual({ provider: 'ollama', model: 'tiny' });
    const err = await g
      .execute({
        task: 'trade_decision',
        messages: ask('buy?'),
        target: { provider: 'ollama', model: 'tiny' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LLMPolicyError);
    expect(h.server.requests).toHaveLength(0);
    expect(g.ledger.since()).toMatchObject([
      { outcome: 'refused', reason: 'policy', code: 'ORRERY_LLM_POLICY' },
    ]);
  });

  it('refuses a judgment task whose only candidates are local', async () => {
    const g = h.gateway({ routing: { default: { prefer: [{ provider: 'ollama', model: 'tiny' }] } } });
    await expect(g.execute({ task: 'synthesis', messages: ask('x') })).rejects.toBeInstanceOf(LLMPolicyError);
    expect(g.canServe('synthesis')).toBe(false);
    expect(h.server.requests).toHaveLength(0);
  });

  it('rejects a config whose judgment rule prefers a local provider, naming the path', () => {
    const input = loopbackConfig(h.server, {
      routing: {
        rules: {
          critic: {
            prefer: [
              { provider: 'openai', model: 'smart' },
              { provider: 'ollama', model: 'x' },
            ],
          },
        },
      },
    });
    const err = (() => {
      try {
        parseGatewayConfig(input);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LLMConfigError);
    expect((err as LLMConfigError).path).toBe('routing.rules.critic.prefer.1.provider');
  });

  it('lets a rule override the task lists with trust', () => {
    const config = parseGatewayConfig(
      loopbackConfig(h.server, {
        routing: {
          trivial: { enabled: true },
          rules: {
            tag_news: { trust: 'trivial', prefer: [{ provider: 'openai', model: 'cheap' }] },
            title: { trust: 'judgment', prefer: [{ provider: 'openai', model: 'cheap' }] },
          },
        },
      }),
    );
    const policy = new RoutingPolicy(config);
    expect(policy.classify('tag_news')).toBe('trivial');
    expect(policy.plan('tag_news').candidates.map((c) => c.provider)).toEqual(['ollama', 'openai']);
    expect(policy.classify('title')).toBe('judgment');
    expect(policy.plan('title').candidates.map((c) => c.provider)).toEqual(['openai']);
    expect(policy.classify('something_else')).toBe('standard');
  });
});
