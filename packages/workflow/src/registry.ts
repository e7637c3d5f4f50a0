import type { LLMRequest, LLMResponse } from '@orrery/core';
import { z } from 'zod';
import { AgentRegistryError } from './errors.ts';
import { IntelligenceLevel } from './intelligence.ts';
import type { WorkflowMode } from './modes.ts';
import { nameSchema } from './schema.ts';

/** An LLM request from inside an agent; the engine fills in `agent` and `signal`. */
export type AgentInferenceRequest<T> = Omit<LLMRequest<T>, 'agent' | 'signal'>;

/** What a running agent gets besides its input. */
export interface AgentContext {
  readonly runId: string;
  readonly stepId: string;
  /** The agent's registry name. */
  readonly agent: string;
  /** 1 for the first attempt; higher for declared retries and recovery re-runs. */
  readonly attempt: number;
  /** Aborted on cancellation, on the step's time limit, or when another step fails the workflow. */
  readonly signal: AbortSignal;
  readonly mode: WorkflowMode;
  readonly level: IntelligenceLevel;
  /**
   * One LLM call through the engine's gateway, as this agent (`agent: 'workflow:<name>'`), cancelled with
   * the step. Throws `InferenceRefusedError` when the agent's level does not allow it (BASIC and ADAPTIVE
   * never; INTELLIGENT once per attempt; AUTONOMOUS three times) or no gateway is configured, and the
   * gateway's `LLMError`s otherwise.
   */
  infer<T>(request: AgentInferenceRequest<T>): Promise<LLMResponse<T>>;
  /**
   * Tells the engine conditions changed and the remaining workflow should be revised (CREATIVE mode:
   * an LLM may replace the steps not yet started once this step finishes). AUTONOMOUS agents only;
   * throws `InferenceRefusedError` otherwise. Outside CREATIVE mode the request is recorded and ignored.
   */
  requestAdaptation(reason: string): void;
}

/**
 * An agent (or tool) steps can call. The engine validates the resolved input against `inputs` and the
 * result against `output`; outputs must be JSON (they are persisted).
 */
export interface AgentDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  /** What it does, for the planner's prompt. */
  description: string;
  /** Its named inputs; `.describe()` each field so the planner knows what to pass. */
  inputs: I;
  /** Its output; references into it (`step.field`) are checked against this schema. */
  output: O;
  /** What it may ask of an LLM (default BASIC). */
  intelligence?: IntelligenceLevel;
  /** Agents that can stand in for it (same inputs, compatible output) when recovery picks `alternative`. */
  alternatives?: readonly string[];
  /** Does the work. Honour `ctx.signal`. */
  run(input: z.output<I>, ctx: AgentContext): Promise<z.input<O>> | z.input<O>;
}

/** A registered agent, defaults applied. */
export interface RegisteredAgent {
  readonly name: string;
  readonly description: string;
  readonly inputs: z.ZodObject;
  readonly output: z.ZodType;
  readonly intelligence: IntelligenceLevel;
  readonly alternatives: readonly string[];
  run(input: unknown, ctx: AgentContext): unknown;
}

/** An agent as the planner sees it: JSON Schemas of its inputs and output. */
export interface AgentDescription {
  name: string;
  description: string;
  intelligence: IntelligenceLevel;
  inputs: unknown;
  output: unknown;
}

/**
 * The agents and tools steps may call, by name. The engine depends on nothing else: no LLM, no bus.
 *
 * @example
 * const registry = createAgentRegistry().register('double', {
 *   description: 'Doubles a number',
 *   inputs: z.object({ x: z.number().describe('the number') }),
 *   output: z.object({ y: z.number() }),
 *   run: ({ x }) => ({ y: 2 * x }),
 * });
 */
export class AgentRegistry {
  readonly #agents = new Map<string, RegisteredAgent>();

  /**
   * Adds an agent. Throws `AgentRegistryError` when the name is invalid or taken, or `inputs` is not a
   * `z.object`.
   */
  register<I extends z.ZodObject, O extends z.ZodType>(name: string, def: AgentDefinition<I, O>): this {
    if (!nameSchema.safeParse(name).success) {
      throw new AgentRegistryError(
        name,
        `agent name "${name}" must start with a letter or _ and hold only letters, digits, _ or - (max 64)`,
      );
    }
    if (this.#agents.has(name)) throw new AgentRegistryError(name, `agent ${name} is already registered`);
    if (!(def.inputs instanceof z.ZodObject)) {
      throw new AgentRegistryError(name, `agent ${name}: inputs must be a z.object(...) schema`);
    }
    if (!(def.output instanceof z.ZodType)) {
      throw new AgentRegistryError(name, `agent ${name}: output must be a zod schema`);
    }
    const level = def.intelligence ?? IntelligenceLevel.BASIC;
    if (!(level in IntelligenceLevel)) {
      throw new AgentRegistryError(name, `agent ${name}: unknown intelligence level ${String(level)}`);
    }
    this.#agents.set(name, {
      name,
      description: def.description,
      inputs: def.inputs,
      output: def.output,
      intelligence: level,
      alternatives: [...(def.alternatives ?? [])],
      run: (input, ctx) => def.run(input as z.output<I>, ctx),
    });
    return this;
  }

  /** The agent, or `undefined`. */
  get(name: string): RegisteredAgent | undefined {
    return this.#agents.get(name);
  }

  has(name: string): boolean {
    return this.#agents.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#agents.keys()];
  }

  /** Every agent with JSON Schemas of its inputs (as written) and output, for planning prompts. */
  describe(): AgentDescription[] {
    return [...this.#agents.values()].map((a) => ({
      name: a.name,
      description: a.description,
      intelligence: a.intelligence,
      inputs: jsonSchema(a.inputs, 'input'),
      output: jsonSchema(a.output, 'output'),
    }));
  }
}

/** A new, empty {@link AgentRegistry}. */
export function createAgentRegistry(): AgentRegistry {
  return new AgentRegistry();
}

/** The JSON Schema of a zod schema without the `$schema` noise; `{}` when it cannot be rendered. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  } catch {
    return {};
  }
}
