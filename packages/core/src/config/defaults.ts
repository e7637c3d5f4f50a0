/**
 * Defaults of the gateway configuration. Prices are USD per 1,000 tokens as published by the providers
 * in 2025; they change — override them in `prices`.
 */
export const DEFAULT_PRICES: Readonly<Record<string, { inputPer1k: number; outputPer1k: number }>> = {
  'openai/gpt-4o-mini': { inputPer1k: 0.00015, outputPer1k: 0.0006 },
  'openai/gpt-4o': { inputPer1k: 0.0025, outputPer1k: 0.01 },
  'openai/gpt-4.1-mini': { inputPer1k: 0.0004, outputPer1k: 0.0016 },
  'openai/gpt-4.1': { inputPer1k: 0.002, outputPer1k: 0.008 },
  'anthropic/claude-3-5-haiku-latest': { inputPer1k: 0.0008, outputPer1k: 0.004 },
  'anthropic/claude-sonnet-4-0': { inputPer1k: 0.003, outputPer1k: 0.015 },
};

/** The providers configured when `providers` is omitted (none is reachable without a key or a local server). */
export const DEFAULT_PROVIDERS = {
  openai: { kind: 'openai', baseUrl: 'https://api.openai.com/v1' },
  anthropic: { kind: 'anthropic', baseUrl: 'https://api.anthropic.com' },
} as const;

/** Tasks cheap and mechanical enough for a local model (when `routing.trivial.enabled`). */
export const DEFAULT_TRIVIAL_TASKS = [
  'summarise',
  'compress_tool_output',
  'extract_entities',
  'extract_keywords',
  'normalise_json',
  'routing_hint',
  'title',
  'format',
] as const;

/** Tasks whose answers drive money or multi-step reasoning: never sent to a local model. */
export const DEFAULT_JUDGMENT_TASKS = [
  'trade_decision',
  'execution_probability',
  'multi_step',
  'synthesis',
  'critic',
  'sun_reasoning',
  'sun_reasoning_backup',
  'planet_analysis',
] as const;

/** Backup tasks and the task each stands in for (see `routing.backups`). */
export const DEFAULT_BACKUP_TASKS: Readonly<Record<string, string>> = {
  sun_reasoning_backup: 'sun_reasoning',
};

/** The local model server Orrery expects by default (Ollama's OpenAI-compatible API). */
export const DEFAULT_LOCAL_BASE_URL = 'http://127.0.0.1:11434/v1';
