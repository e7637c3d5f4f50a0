import { z } from 'zod';

/**
 * How one delegation task type calls its model: the system prompt and the per-call limits. Which models
 * serve the task, and in what order, is the gateway's routing rule for the task name
 * (`routing.rules[task].prefer`), not a setting here.
 */
export const taskSettingsSchema = z
  .strictObject({
    description: z
      .string()
      .min(1)
      .optional()
      .describe(
        "One line for `orrery delegate --help` and the docs. Default: the built-in task's, else none.",
      ),
    systemPrompt: z
      .string()
      .min(1)
      .optional()
      .describe("Sent as the system message before the prompt. Default: the built-in task's, else none."),
    maxTokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Answer token cap per call. Default: the built-in task's, else the gateway's `request.maxTokens`.",
      ),
    temperature: z
      .number()
      .min(0)
      .max(2)
      .optional()
      .describe(
        "Sampling temperature, 0..2. Default: the built-in task's, else the gateway's `request.temperature`.",
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Time limit of each call in the task's chain of models, ms. Default: the provider's `timeoutMs`.",
      ),
  })
  .describe(
    "How one delegation task type calls its model (which models serve it is the gateway's routing rule of the same name).",
  );

/** The settings of one task type; see {@link taskSettingsSchema}. */
export type TaskSettings = z.output<typeof taskSettingsSchema>;

/**
 * The built-in task types. A configuration may override any field of these or add task types of its own;
 * the routing of each (its chain of models) is the gateway's rule of the same name, falling back to
 * `routing.default`.
 */
export const DEFAULT_TASK_TYPES: Readonly<Record<string, Readonly<TaskSettings>>> = {
  quick: {
    description: 'short factual answers, one-liners, lookups',
    systemPrompt: 'Answer briefly and directly. No preamble.',
    maxTokens: 512,
    temperature: 0.2,
  },
  coding: {
    description: 'write or fix code',
    systemPrompt:
      'You are a careful senior software engineer. Answer with working code and only the explanation needed to use it.',
    maxTokens: 2048,
    temperature: 0.1,
  },
  analysis: {
    description: 'reason about data, logs or a problem and conclude',
    systemPrompt: 'Analyse the input step by step, then state your conclusion plainly.',
    maxTokens: 1536,
    temperature: 0.2,
  },
  translation: {
    description: 'translate text, keeping meaning, tone and formatting',
    systemPrompt:
      'Translate the text as asked. Keep meaning, tone and formatting; answer with the translation only.',
    maxTokens: 2048,
    temperature: 0,
  },
  creative: {
    description: 'drafts, names, wording',
    systemPrompt: 'Write with clarity and some flair. Offer what was asked, nothing more.',
    maxTokens: 1024,
    temperature: 0.8,
  },
  review: {
    description: 'review a diff or code: bugs, risks, concrete fixes',
    systemPrompt:
      'Review the code or diff. List real problems first (bugs, security, data loss), each with a concrete fix; then minor points. Say so when it looks fine.',
    maxTokens: 1536,
    temperature: 0.1,
  },
  summarise: {
    description: 'summarise text or tool output',
    systemPrompt: 'Summarise the input in a few bullet points. Keep numbers and names exact.',
    maxTokens: 512,
    temperature: 0,
  },
  heavy: {
    description: 'hard problems for the strongest configured model',
    systemPrompt: 'Think the problem through carefully before answering. Be precise.',
    maxTokens: 4096,
    temperature: 0.2,
  },
};
