import { z } from 'zod';
import {
  DEFAULT_BACKUP_TASKS,
  DEFAULT_JUDGMENT_TASKS,
  DEFAULT_LOCAL_BASE_URL,
  DEFAULT_PROVIDERS,
  DEFAULT_TRIVIAL_TASKS,
} from './defaults.ts';

/** One provider endpoint. */
export const providerConfigSchema = z.strictObject({
  /**
   * Wire format: `openai` (chat completions: OpenAI, Ollama `/v1`, vLLM, llama.cpp, OpenRouter),
   * `anthropic`, or a kind registered with `createGateway(config, { providers })`.
   */
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a provider kind: openai, anthropic, or a registered one')
    .default('openai'),
  /** For `openai`, including the API prefix (`…/v1`); for `anthropic`, without it. */
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /**
   * Secret; never logged, never in errors or the ledger. Either the key itself or `{ env: NAME }`: read
   * from the environment variable `NAME` when the configuration is parsed, so no key is written in a file.
   */
  apiKey: z
    .union([
      z.string().min(1),
      z.strictObject({
        env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
      }),
    ])
    .optional(),
  /**
   * How an answer schema is sent (OpenAI wire only): `json_schema` (default: structured outputs,
   * `response_format: {type: "json_schema", json_schema: {name, schema, strict}}`; llama.cpp, vLLM and
   * Ollama constrain decoding with it) or `json_object` (plain JSON mode, for servers without it).
   */
  jsonMode: z.enum(['json_schema', 'json_object']).default('json_schema'),
  /**
   * The answer-cap field (OpenAI wire only): `max_completion_tokens` (OpenAI's current field; default for
   * non-local providers) or `max_tokens` (default for local ones, for servers that only know it).
   */
  maxTokensField: z.enum(['max_completion_tokens', 'max_tokens']).optional(),
  /**
   * Models that reject `temperature` (none is sent for them): exact names, or prefixes ending in `*`.
   * Default for the OpenAI wire: the reasoning models `o1*`, `o3*`, `o4*`, `gpt-5*`.
   */
  noTemperature: z.array(z.string().min(1)).optional(),
  /** Highest temperature the provider accepts; higher ones are lowered to it (default: 2, Anthropic 1). */
  maxTemperature: z.number().min(0).max(2).optional(),
  /** Time limit of one call (connection, headers and body), in ms (default 30,000). */
  timeoutMs: z.number().int().positive().default(30_000),
  /** A local model: cost 0, never used for judgment tasks (default false). */
  local: z.boolean().default(false),
});

/** A provider and model. */
export const targetSchema = z.strictObject({ provider: z.string().min(1), model: z.string().min(1) });

/** USD per 1,000 tokens. */
export const priceSchema = z.strictObject({
  inputPer1k: z.number().nonnegative(),
  outputPer1k: z.number().nonnegative(),
  /** USD per 1,000 prompt tokens read from the provider's prompt cache (default: `inputPer1k`). */
  cachedInputPer1k: z.number().nonnegative().optional(),
  /** USD per 1,000 prompt tokens written to the prompt cache (Anthropic; default: `inputPer1k`). */
  cacheWritePer1k: z.number().nonnegative().optional(),
});

/** How one task type is routed. */
export const routingRuleSchema = z.strictObject({
  /** Candidates, most preferred first. */
  prefer: z.array(targetSchema).default([]),
  /** Skip candidates whose input or output price per 1k tokens exceeds this (USD). Unpriced paid models are skipped too. */
  maxCostPer1k: z.number().nonnegative().optional(),
  /**
   * May resolution go past the first candidate when it is cooling down or over cost, and may a critical
   * request move to the next candidate after a 429 (default true)? With `false` only `prefer[0]` is used.
   */
  fallback: z.boolean().default(true),
  /** Overrides the task lists: `judgment` never goes local; `trivial` goes local when enabled. */
  trust: z.enum(['judgment', 'trivial']).optional(),
});

const taskList = z.array(z.string().min(1));

/**
 * The gateway's whole configuration. Every field has a default: `parseGatewayConfig({})` is valid
 * (with the public OpenAI and Anthropic endpoints, no keys, so nothing reachable).
 */
export const gatewayConfigSchema = z
  .strictObject({
    /** Named endpoints (default: `openai`, `anthropic`). The trivial-task provider is added from `routing.localBaseUrl` when missing. */
    providers: z.record(z.string().min(1), providerConfigSchema).prefault({ ...DEFAULT_PROVIDERS }),
    /** USD per 1k tokens by `provider/model`, merged over {@link DEFAULT_PRICES}. Local providers cost 0. */
    prices: z.record(z.string().min(1), priceSchema).default({}),
    /** The global budget over a rolling hour. */
    budget: z
      .strictObject({
        maxCallsPerHour: z.number().int().nonnegative().default(600),
        /** Tokens in + out (estimated before, actual after). */
        maxTokensPerHour: z.number().int().nonnegative().default(2_000_000),
        /** Calls only critical requests may use. */
        reserveCalls: z.number().int().nonnegative().default(30),
        /** Tokens only critical requests may use. */
        reserveTokens: z.number().int().nonnegative().default(100_000),
      })
      .prefault({}),
    /**
     * Cooldown after a 429 or a 529: `baseMs × 2^(k-1)` for the k-th strike, or the provider's
     * `Retry-After` when longer — never more than `maxMs`. 429s of requests in flight together are one strike.
     */
    cooldown: z
      .strictObject({
        baseMs: z.number().int().positive().default(30_000),
        maxMs: z.number().int().positive().default(900_000),
      })
      .prefault({}),
    /**
     * Circuit breaker per provider+model for 5xx answers, unreachable servers and timeouts: opens after
     * `failures` failures (or `timeouts` timeouts) within `windowMs`, for `openMs × 2^(k-1)` (at most
     * `maxOpenMs`); then one request probes — success closes it, failure reopens it.
     */
    breaker: z
      .strictObject({
        failures: z.number().int().positive().default(3),
        timeouts: z.number().int().positive().default(1),
        windowMs: z.number().int().positive().default(60_000),
        openMs: z.number().int().positive().default(30_000),
        maxOpenMs: z.number().int().positive().default(900_000),
      })
      .prefault({}),
    /** Request defaults. */
    request: z
      .strictObject({
        /** Answer token cap when a request sets none (also the pre-call estimate's answer part). */
        maxTokens: z.number().int().positive().default(1024),
        /** Temperature when a request sets none. */
        temperature: z.number().min(0).max(2).default(0.2),
      })
      .prefault({}),
    routing: z
      .strictObject({
        /** Rules by task type. */
        rules: z.record(z.string().min(1), routingRuleSchema).default({}),
        /** The rule for tasks without one. */
        default: routingRuleSchema.prefault({ prefer: [{ provider: 'openai', model: 'gpt-4o-mini' }] }),
        trivialTasks: taskList.default([...DEFAULT_TRIVIAL_TASKS]),
        judgmentTasks: taskList.default([...DEFAULT_JUDGMENT_TASKS]),
        /**
         * Backup tasks and the task they stand in for (default: `sun_reasoning_backup` for `sun_reasoning`).
         * A backup never uses a provider+model its primary may use — that would be a retry in disguise: a
         * rule that leaves it none is refused; without a rule of its own the backup is off (a warning).
         */
        backups: z.record(z.string().min(1), z.string().min(1)).default({ ...DEFAULT_BACKUP_TASKS }),
        /** The provider name of the local model (created from `localBaseUrl` when not in `providers`). */
        trivialTaskProvider: z.string().min(1).default('ollama'),
        trivialTaskModel: z.string().min(1).default('llama3.2:3b'),
        /** OpenAI-compatible base URL of the local model server (Ollama: `http://127.0.0.1:11434/v1`). */
        localBaseUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
          .default(DEFAULT_LOCAL_BASE_URL),
        trivial: z
          .strictObject({
            /** Route trivial tasks to the local model (default false: opt in once it runs). */
            enabled: z.boolean().default(false),
            /** Answer token cap for trivial tasks on the local model. */
            maxTokens: z.number().int().positive().default(512),
            temperature: z.number().min(0).max(2).default(0),
            /** Time limit of local calls, in ms. */
            timeoutMs: z.number().int().positive().default(20_000),
          })
          .prefault({}),
      })
      .prefault({}),
    cache: z
      .strictObject({
        /** TTL when a request asks for caching without one, in ms (default 5 minutes). */
        defaultTtlMs: z.number().int().positive().default(300_000),
      })
      .prefault({}),
    ledger: z
      .strictObject({
        /** The paid model savings are measured against. */
        referenceModel: z
          .strictObject({
            name: z.string().min(1),
            inputPer1k: z.number().nonnegative(),
            outputPer1k: z.number().nonnegative(),
          })
          .default({ name: 'openai/gpt-4o', inputPer1k: 0.0025, outputPer1k: 0.01 }),
      })
      .prefault({}),
    /** Connection pools (one undici Pool per origin). */
    http: z
      .strictObject({
        connections: z.number().int().positive().default(64),
        keepAliveTimeoutMs: z.number().int().positive().default(30_000),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.budget.reserveCalls > c.budget.maxCallsPerHour)
      issue(
        ['budget', 'reserveCalls'],
        `must not exceed budget.maxCallsPerHour (${c.budget.maxCallsPerHour})`,
      );
    if (c.budget.reserveTokens > c.budget.maxTokensPerHour)
      issue(
        ['budget', 'reserveTokens'],
        `must not exceed budget.maxTokensPerHour (${c.budget.maxTokensPerHour})`,
      );
    if (c.breaker.openMs > c.breaker.maxOpenMs)
      issue(['breaker', 'openMs'], `must not exceed breaker.maxOpenMs (${c.breaker.maxOpenMs})`);
    if (c.cooldown.baseMs > c.cooldown.maxMs)
      issue(['cooldown', 'baseMs'], `must not exceed cooldown.maxMs (${c.cooldown.maxMs})`);
    for (const key of Object.keys(c.prices)) {
      if (!/^[^/]+\/.+$/.test(key)) issue(['prices', key], 'key must be "provider/model"');
    }
    const r = c.routing;
    const both = r.trivialTasks.filter((t) => r.judgmentTasks.includes(t));
    if (both.length > 0)
      issue(['routing', 'trivialTasks'], `tasks cannot be both trivial and judgment: ${both.join(', ')}`);
    const isLocal = (p: string) => p === r.trivialTaskProvider || c.providers[p]?.local === true;
    const known = (p: string) => p in c.providers || p === r.trivialTaskProvider;
    const checkRule = (rule: z.output<typeof routingRuleSchema>, path: PropertyKey[], judgment: boolean) => {
      rule.prefer.forEach((t, i) => {
        if (!known(t.provider))
          issue([...path, 'prefer', i, 'provider'], `unknown provider "${t.provider}" (not in providers)`);
        else if (judgment && isLocal(t.provider))
          issue(
            [...path, 'prefer', i, 'provider'],
            `a judgment task may not prefer the local provider "${t.provider}"`,
          );
      });
    };
    for (const [task, rule] of Object.entries(r.rules)) {
      const judgment =
        rule.trust === 'judgment' || (rule.trust === undefined && r.judgmentTasks.includes(task));
      checkRule(rule, ['routing', 'rules', task], judgment);
    }
    checkRule(r.default, ['routing', 'default'], false);
    for (const [backup, primary] of Object.entries(r.backups)) {
      if (backup === primary) {
        issue(['routing', 'backups', backup], 'a task cannot be its own backup');
        continue;
      }
      const rule = r.rules[backup];
      if (rule === undefined) continue;
      const taken = new Set((r.rules[primary] ?? r.default).prefer.map((t) => `${t.provider}/${t.model}`));
      if (rule.prefer.length > 0 && rule.prefer.every((t) => taken.has(`${t.provider}/${t.model}`)))
        issue(
          ['routing', 'rules', backup, 'prefer'],
          `the backup task ${backup} must prefer a provider/model that ${primary} does not use (the same model again is a retry in disguise)`,
        );
    }
  });

/** The gateway configuration as written (every field optional). */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

/**
 * One provider's parsed configuration: `apiKey` resolved to the key (an `{ env }` key whose variable is
 * unset becomes `undefined`, its name kept in `apiKeyEnv`).
 */
export type ProviderConfig = Omit<z.output<typeof providerConfigSchema>, 'apiKey'> & {
  apiKey?: string | undefined;
  /** The environment variable the key was read from (`apiKey: { env }`), set or not. */
  apiKeyEnv?: string | undefined;
};

/** The parsed gateway configuration (defaults applied, env overrides merged, prices merged, keys resolved). */
export type GatewayConfig = Omit<z.output<typeof gatewayConfigSchema>, 'providers'> & {
  providers: Record<string, ProviderConfig>;
};

/** One routing rule, parsed. */
export type RoutingRule = z.output<typeof routingRuleSchema>;
