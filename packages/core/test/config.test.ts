import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGateway, DEFAULT_TRIVIAL_TASKS, LLMConfigError, parseGatewayConfig } from '../src/index.ts';

function configError(input: unknown, env?: Record<string, string>): LLMConfigError {
  try {
    parseGatewayConfig(input, env);
  } catch (err) {
    if (err instanceof LLMConfigError) return err;
    throw err;
  }
  throw new Error('expected an LLMConfigError');
}

describe('gateway configuration', () => {
  it('has a default for every field', async () => {
    const c = parseGatewayConfig({});
    expect(c.budget).toEqual({
      maxCallsPerHour: 600,
      maxTokensPerHour: 2_000_000,
      reserveCalls: 30,
      reserveTokens: 100_000,
    });
    expect(c.routing.trivialTasks).toEqual([...DEFAULT_TRIVIAL_TASKS]);
    expect(c.routing.trivial.enabled).toBe(false);
    expect(Object.keys(c.providers).sort()).toEqual(['anthropic', 'ollama', 'openai']);
    expect(c.providers.ollama).toMatchObject({ local: true, baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(c.prices['openai/gpt-4o-mini']).toBeDefined();
    await createGateway({}).close();
  });

  it('applies environment overrides', () => {
    const c = parseGatewayConfig(
      {},
      {
        OPENAI_BASE_URL: 'http://10.0.0.2:8000/v1',
        OPENAI_API_KEY: 'sk-env',
        ANTHROPIC_API_KEY: 'ant-env',
        OLLAMA_BASE_URL: 'http://gpu-box:11434',
        ANTHROPIC_BASE_URL: '',
      },
    );
    expect(c.providers.openai).toMatchObject({
      baseUrl: 'http://10.0.0.2:8000/v1',
      apiKey: 'sk-env',
      kind: 'openai',
    });
    expect(c.providers.anthropic).toMatchObject({ baseUrl: 'https://api.anthropic.com', apiKey: 'ant-env' });
    expect(c.routing.localBaseUrl).toBe('http://gpu-box:11434/v1');
    expect(c.providers.ollama?.baseUrl).toBe('http://gpu-box:11434/v1');
    const own = parseGatewayConfig(
      { providers: { ollama: { baseUrl: 'http://x:1/v1', local: true } } },
      { OLLAMA_BASE_URL: 'http://y:2/v1/', OPENAI_API_KEY: 'k' },
    );
    expect(own.providers.ollama?.baseUrl).toBe('http://y:2/v1');
    expect(own.providers.openai).toMatchObject({ baseUrl: 'https://api.openai.com/v1', apiKey: 'k' });
  });

  it('names the offending path and the problem', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ budget: { maxCallsPerHour: -1 } }, 'budget.maxCallsPerHour', />=0|>= 0|too small/i],
      [{ budget: { maxCallsPerHour: 10, reserveCalls: 11 } }, 'budget.reserveCalls', /must not exceed/],
      [{ cooldown: { baseMs: 5_000, maxMs: 1_000 } }, 'cooldown.baseMs', /must not exceed/],
      [{ providers: { openai: { baseUrl: 'ftp://x' } } }, 'providers.openai.baseUrl', /http/],
      [
        { providers: { openai: { kind: 'gemini', baseUrl: 'http://x' } } },
        'providers.openai.kind',
        /openai|anthropic/,
      ],
      [
        { routing: { rules: { t: { prefer: [{ provider: 'nope', model: 'm' }] } } } },
        'routing.rules.t.prefer.0.provider',
        /unknown provider "nope"/,
      ],
      [
        { routing: { trivialTasks: ['title', 'critic'] } },
        'routing.trivialTasks',
        /both trivial and judgment: critic/,
      ],
      [{ prices: { gpt4: { inputPer1k: 1, outputPer1k: 1 } } }, 'prices.gpt4', /provider\/model/],
      [{ routing: { trivial: { temperature: 3 } } }, 'routing.trivial.temperature', /2/],
    ];
    for (const [input, path, message] of cases) {
      const err = configError(input);
      expect(err.path, JSON.stringify(input)).toBe(path);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(path);
      expect(err.code).toBe('ORRERY_LLM_CONFIG');
    }
    expect(configError(42).path).toBe('');
  });

  it('an omitted default rule is empty when there is no openai provider', () => {
    const c = parseGatewayConfig({ providers: { local: { baseUrl: 'http://127.0.0.1:1/v1', local: true } } });
    expect(c.routing.default.prefer).toEqual([]);
  });

  it('rejects any negative or fractional budget field, naming it (property)', () => {
    const field = fc.constantFrom('maxCallsPerHour', 'maxTokensPerHour', 'reserveCalls', 'reserveTokens');
    const bad = fc.oneof(
      fc.integer({ max: -1 }),
      fc.double({ min: 0.01, max: 1e6, noInteger: true, noNaN: true }),
    );
    fc.assert(
      fc.property(field, bad, (name, value) => {
        const err = configError({ budget: { [name]: value } });
        expect(err.path).toBe(`budget.${name}`);
      }),
    );
  });

  it('accepts any consistent budget and cooldown, and never quotes an API key (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8),
        (calls, tokens, base, extra, key) => {
          const c = parseGatewayConfig({
            budget: {
              maxCallsPerHour: calls,
              maxTokensPerHour: tokens,
              reserveCalls: calls,
              reserveTokens: 0,
            },
            cooldown: { baseMs: base, maxMs: base + extra },
            providers: { openai: { baseUrl: 'https://api.openai.com/v1', apiKey: key } },
          });
          expect(c.budget.reserveCalls).toBe(calls);
          const err = configError({ providers: { openai: { baseUrl: 'not a url', apiKey: key } } });
          expect(err.message).not.toContain(key);
        },
      ),
    );
  });
});
