import { z } from 'zod';
import {
  DEFAULT_BACKUP_TASKS,
  DEFAULT_JUDGMENT_TASKS,
  DEFAULT_LOCAL_BASE_URL,
  DEFAULT_PROVIDERS,
  DEFAULT_TRIVIAL_TASKS,
} from './defaults.ts';

/** One provider endpoint. Each field's text is its `.describe()`, shown by editors through the JSON Schema. */
export const providerConfigSchema = z
  .strictObject({
    kind: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a provider kind: openai, anthropic, or a registered one')
      .default('openai')
      .describe(
        'Wire format: `openai` (chat completions: OpenAI, Ollama `/v1`, vLLM, llama.cpp, OpenRouter), `anthropic` (messages), or a kind registered with `createGateway(config, { providers })`. Default `openai`.',
      ),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .describe(
        'http(s) URL of the endpoint: for `openai` including the API prefix (`…/v1`); for `anthropic` without it. Required.',
      ),
    apiKey: z
      .union([
        z.string().min(1),
        z
          .strictObject({
            env: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
              .describe(
                'Name of the environment variable holding the key, read when the configuration is parsed.',
              ),
          })
          .describe('Read the key from an environment variable, so none is written in the file.'),
      ])
      .optional()
      .describe(
        'Secret; never logged, never in errors or the ledger. Either the key itself or `{ env: NAME }` (read from the environment variable `NAME` when the configuration is parsed). Default: none (the provider is unreachable unless it needs no key).',
      ),
    jsonMode: z
      .enum(['json_schema', 'json_object'])
      .default('json_schema')
      .describe(
        'How an answer schema is sent (OpenAI wire only): `json_schema` (default: structured outputs, `response_format: {type: "json_schema", …, strict}`; llama.cpp, vLLM and Ollama constrain decoding with it) or `json_object` (plain JSON mode, for servers without it).',
      ),
    maxTokensField: z
      .enum(['max_completion_tokens', 'max_tokens'])
      .optional()
      .describe(
        "The answer-cap field (OpenAI wire only): `max_completion_tokens` (OpenAI's current field; default for non-local providers) or `max_tokens` (default for local ones, for servers that only know it).",
      ),
    noTemperature: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Models that reject `temperature` (none is sent for them): exact names, or prefixes ending in `*`. Default for the OpenAI wire: the reasoning models `o1*`, `o3*`, `o4*`, `gpt-5*`.',
      ),
    maxTemperature: z
      .number()
      .min(0)
      .max(2)
      .optional()
      .describe(
        'Highest temperature the provider accepts (0..2); higher ones are lowered to it. Default: 2, Anthropic 1.',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe('Time limit of one call (connection, headers and body), ms. Default 30000.'),
    local: z
      .boolean()
      .default(false)
      .describe('A local model: costs 0, never used for judgment tasks. Default false.'),
  })
  .describe('One provider endpoint.');

/** A provider and model. */
export const targetSchema = z
  .strictObject({
    provider: z.string().min(1).describe('A provider name (a key of `gateway.providers`).'),
    model: z.string().min(1).describe('The model name as the provider knows it (e.g. `gpt-4o-mini`).'),
  })
  .describe('A provider and model.');

/** USD per 1,000 tokens. */
export const priceSchema = z
  .strictObject({
    inputPer1k: z.number().nonnegative().describe('USD per 1,000 prompt tokens. Required.'),
    outputPer1k: z.number().nonnegative().describe('USD per 1,000 answer tokens. Required.'),
    cachedInputPer1k: z
      .number()
      .nonnegative()
      .optional()
      .describe("USD per 1,000 prompt tokens read from the provider's prompt cache. Default: `inputPer1k`."),
    cacheWritePer1k: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        'USD per 1,000 prompt tokens written to the prompt cache (Anthropic). Default: `inputPer1k`.',
      ),
  })
  .describe('Price of one `provider/model`, USD per 1,000 tokens.');

/** How one task type is routed. */
export const routingRuleSchema = z
  .strictObject({
    prefer: z
      .array(targetSchema)
      .default([])
      .describe('Candidates `{provider, model}`, most preferred first. Default: none.'),
    maxCostPer1k: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        'Skip candidates whose input or output price per 1,000 tokens exceeds this, USD (unpriced paid models are skipped too). Default: no limit.',
      ),
    fallback: z
      .boolean()
      .default(true)
      .describe(
        'May resolution go past the first candidate when it is cooling down or over cost, and may a critical request move to the next candidate after a 429? With `false` only `prefer[0]` is used. Default true.',
      ),
    trust: z
      .enum(['judgment', 'trivial'])
      .optional()
      .describe(
        'Overrides the task lists: `judgment` never goes to a local model; `trivial` goes to the local model when `routing.trivial.enabled`. Default: from `routing.judgmentTasks`/`trivialTasks`.',
      ),
  })
  .describe('How one task type is routed.');

const taskList = z.array(z.string().min(1));

/**
 * The gateway's whole configuration. Every field has a default: `parseGatewayConfig({})` is valid
 * (with the public OpenAI and Anthropic endpoints, no keys, so nothing reachable).
 */
export const gatewayConfigSchema = z
  .strictObject({
    providers: z
      .record(z.string().min(1), providerConfigSchema)
      .prefault({ ...DEFAULT_PROVIDERS })
      .describe(
        'Named endpoints. Default: `openai` (https://api.openai.com/v1) and `anthropic` (https://api.anthropic.com), without keys. The trivial-task provider is added from `routing.localBaseUrl` when missing.',
      ),
    prices: z
      .record(z.string().min(1), priceSchema)
      .default({})
      .describe(
        'USD per 1,000 tokens by `provider/model`, merged over the built-in prices (OpenAI and Anthropic models of 2025). Local providers cost 0. Default: none added.',
      ),
    budget: z
      .strictObject({
        maxCallsPerHour: z
          .number()
          .int()
          .nonnegative()
          .default(600)
          .describe('Provider calls allowed in any rolling hour, whatever their outcome. Default 600.'),
        maxTokensPerHour: z
          .number()
          .int()
          .nonnegative()
          .default(2_000_000)
          .describe(
            'Tokens in + out allowed in any rolling hour (estimated before a call, actual after). Default 2000000.',
          ),
        reserveCalls: z
          .number()
          .int()
          .nonnegative()
          .default(30)
          .describe(
            'Calls only critical requests may use: others stop at `maxCallsPerHour − reserveCalls`. At most `maxCallsPerHour`. Default 30.',
          ),
        reserveTokens: z
          .number()
          .int()
          .nonnegative()
          .default(100_000)
          .describe('Tokens only critical requests may use. At most `maxTokensPerHour`. Default 100000.'),
      })
      .prefault({})
      .describe('The global budget over a rolling hour (one for every task and chain).'),
    cooldown: z
      .strictObject({
        baseMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe(
            'Cooldown of the first strike, ms; the k-th is `baseMs × 2^(k-1)`. At most `maxMs`. Default 30000.',
          ),
        maxMs: z
          .number()
          .int()
          .positive()
          .default(900_000)
          .describe('Longest cooldown, ms. Default 900000 (15 min).'),
      })
      .prefault({})
      .describe(
        "Cooldown of a provider+model after a 429 or a 529: `baseMs × 2^(k-1)` for the k-th strike, or the provider's `Retry-After` when longer — never more than `maxMs`. 429s of requests in flight together are one strike.",
      ),
    breaker: z
      .strictObject({
        failures: z
          .number()
          .int()
          .positive()
          .default(3)
          .describe('Failures (5xx, unreachable) within `windowMs` that open the breaker. Default 3.'),
        timeouts: z
          .number()
          .int()
          .positive()
          .default(1)
          .describe('Timeouts within `windowMs` that open the breaker. Default 1.'),
        windowMs: z
          .number()
          .int()
          .positive()
          .default(60_000)
          .describe('Window the failures are counted in, ms. Default 60000.'),
        openMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe(
            'How long the k-th opening lasts: `openMs × 2^(k-1)`, ms. At most `maxOpenMs`. Default 30000.',
          ),
        maxOpenMs: z
          .number()
          .int()
          .positive()
          .default(900_000)
          .describe('Longest opening, ms. Default 900000 (15 min).'),
      })
      .prefault({})
      .describe(
        'Circuit breaker per provider+model for 5xx answers, unreachable servers and timeouts: opens after `failures` failures (or `timeouts` timeouts) within `windowMs`, for `openMs × 2^(k-1)` (at most `maxOpenMs`); then one request probes — success closes it, failure reopens it.',
      ),
    request: z
      .strictObject({
        maxTokens: z
          .number()
          .int()
          .positive()
          .default(1024)
          .describe(
            "Answer token cap when a request sets none (also the pre-call estimate's answer part). Default 1024.",
          ),
        temperature: z
          .number()
          .min(0)
          .max(2)
          .default(0.2)
          .describe('Sampling temperature (0..2) when a request sets none. Default 0.2.'),
      })
      .prefault({})
      .describe('Defaults of requests that leave a field out.'),
    routing: z
      .strictObject({
        rules: z
          .record(z.string().min(1), routingRuleSchema)
          .default({})
          .describe(
            'Routing rules by task type (e.g. `sun_reasoning`, `planet_analysis`). Default: none (every task uses `default`).',
          ),
        default: routingRuleSchema
          .prefault({ prefer: [{ provider: 'openai', model: 'gpt-4o-mini' }] })
          .describe('The rule of tasks without one. Default: prefer `openai/gpt-4o-mini`.'),
        trivialTasks: taskList
          .default([...DEFAULT_TRIVIAL_TASKS])
          .describe(
            `Tasks cheap and mechanical enough for the local model (used when \`trivial.enabled\`). Default: ${DEFAULT_TRIVIAL_TASKS.join(', ')}.`,
          ),
        judgmentTasks: taskList
          .default([...DEFAULT_JUDGMENT_TASKS])
          .describe(
            `Tasks whose answers drive money or multi-step reasoning: never sent to a local provider. Default: ${DEFAULT_JUDGMENT_TASKS.join(', ')}.`,
          ),
        backups: z
          .record(z.string().min(1), z.string().min(1))
          .default({ ...DEFAULT_BACKUP_TASKS })
          .describe(
            'Backup tasks and the task they stand in for. A backup never uses a provider+model its primary may use (that would be a retry in disguise): a rule that leaves it none is refused; without a rule of its own the backup is off (a warning). Default: `sun_reasoning_backup: sun_reasoning`.',
          ),
        trivialTaskProvider: z
          .string()
          .min(1)
          .default('ollama')
          .describe(
            'Provider name of the local model (created from `localBaseUrl` when not in `providers`). Default `ollama`.',
          ),
        trivialTaskModel: z
          .string()
          .min(1)
          .default('llama3.2:3b')
          .describe('The local model trivial tasks go to. Default `llama3.2:3b`.'),
        localBaseUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
          .default(DEFAULT_LOCAL_BASE_URL)
          .describe(
            `OpenAI-compatible base URL of the local model server. Default \`${DEFAULT_LOCAL_BASE_URL}\` (Ollama).`,
          ),
        trivial: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe('Route trivial tasks to the local model first. Default false (opt in once it runs).'),
            maxTokens: z
              .number()
              .int()
              .positive()
              .default(512)
              .describe(
                "Answer token cap of trivial tasks on the local model (a request's own cap may only lower it). Default 512.",
              ),
            temperature: z
              .number()
              .min(0)
              .max(2)
              .default(0)
              .describe(
                "Sampling temperature (0..2) of trivial tasks on the local model (the request's is ignored). Default 0.",
              ),
            timeoutMs: z
              .number()
              .int()
              .positive()
              .default(20_000)
              .describe('Time limit of a local call when the request sets none, ms. Default 20000.'),
          })
          .prefault({})
          .describe('How trivial tasks use the local model.'),
      })
      .prefault({})
      .describe('Which provider and model serve each task type; see `rules` and `default`.'),
    cache: z
      .strictObject({
        defaultTtlMs: z
          .number()
          .int()
          .positive()
          .default(300_000)
          .describe(
            'TTL of an answer when a request asks for caching without one, ms. Default 300000 (5 min).',
          ),
      })
      .prefault({})
      .describe("The gateway's answer cache (only requests that ask for it are cached)."),
    ledger: z
      .strictObject({
        referenceModel: z
          .strictObject({
            name: z.string().min(1).describe('Shown as the reference in reports, e.g. `openai/gpt-4o`.'),
            inputPer1k: z.number().nonnegative().describe('Its price per 1,000 prompt tokens, USD.'),
            outputPer1k: z.number().nonnegative().describe('Its price per 1,000 answer tokens, USD.'),
          })
          .default({ name: 'openai/gpt-4o', inputPer1k: 0.0025, outputPer1k: 0.01 })
          .describe(
            'The paid model savings are measured against (savings = what the answered requests would have cost on it − what they cost). Default `openai/gpt-4o` at 0.0025 / 0.01 USD per 1k.',
          ),
      })
      .prefault({})
      .describe('The call ledger (SQLite) and its savings report.'),
    http: z
      .strictObject({
        connections: z
          .number()
          .int()
          .positive()
          .default(64)
          .describe('Most sockets per provider origin. Default 64.'),
        keepAliveTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe('How long an idle socket is kept open, ms. Default 30000.'),
      })
      .prefault({})
      .describe('Connection pools: one undici Pool (keep-alive, no retries) per provider origin.'),
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
