import { z } from 'zod';

/**
 * The JSON a planet's single LLM call must return: the plan and its execution in one answer.
 * `plan` lists the steps the model took (what it looked at), `signal`/`confidence`/`reasons` the result.
 */
export const planetAnswerSchema = z.object({
  plan: z.array(z.string().max(300)).max(5),
  signal: z.number().min(-1).max(1),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string().max(300)).min(1).max(5),
});

/** A validated planet answer. */
export type PlanetAnswer = z.output<typeof planetAnswerSchema>;

/** The answer format, spelled out for the prompt (the gateway validates against the schema). */
export const PLANET_ANSWER_FORMAT =
  'Answer with ONE JSON object and nothing else: {"plan": [up to 3 short steps you took], ' +
  '"signal": number from -1 (strong sell) to 1 (strong buy), "confidence": number from 0 to 1, ' +
  '"reasons": [1 to 4 short reasons]}.';
