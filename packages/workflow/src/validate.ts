import type { z } from 'zod';
import {
  WorkflowIssueCode as C,
  type WorkflowIssue,
  WorkflowSchemaError,
  WorkflowValidationError,
} from './errors.ts';
import type { AgentRegistry } from './registry.ts';
import {
  type Condition,
  decisionOutputSchema,
  dependenciesOf,
  parseReference,
  type Step,
  type Workflow,
  workflowSchema,
} from './schema.ts';
import { checkSchemaPath } from './schema-path.ts';

/**
 * Parses a workflow against {@link workflowSchema}, applying defaults. Throws `WorkflowSchemaError` whose
 * `issues` carry zod's paths (`SCHEMA` issues, naming the step when the path is inside one).
 */
export function parseWorkflow(input: unknown): Workflow {
  const result = workflowSchema.safeParse(input);
  if (result.success) return result.data;
  throw new WorkflowSchemaError(schemaIssues(input, result.error), { cause: result.error });
}

/** zod's issues as {@link WorkflowIssue}s, naming the step when the path is inside `steps[i]`. */
export function schemaIssues(input: unknown, error: z.ZodError): WorkflowIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const stepId = stepIdAt(input, i.path);
    const where = stepId === undefined ? path || '(root)' : `step ${stepId} (${path})`;
    return {
      code: C.SCHEMA,
      ...(stepId === undefined ? {} : { stepId }),
      path,
      message: `${where}: ${i.message}`,
    };
  });
}

/**
 * Parses and checks a workflow against the registry; returns the parsed workflow or throws:
 * `WorkflowSchemaError` (shape) or `WorkflowValidationError` (every semantic problem: duplicate ids,
 * unknown agents or dependencies, cycles, references to unknown steps or fields, missing or unknown
 * inputs, literals or fallbacks that break the agent's schemas, unknown branches).
 *
 * @example
 * try { validateWorkflow(plan, registry) } catch (e) {
 *   if (e instanceof WorkflowValidationError && e.has('CYCLE')) …
 * }
 */
export function validateWorkflow(input: unknown, registry: AgentRegistry): Workflow {
  const wf = parseWorkflow(input);
  const issues = checkWorkflow(wf, registry);
  if (issues.length > 0) throw new WorkflowValidationError(issues);
  return wf;
}

/** Every semantic problem of a parsed workflow (empty when it is executable). Never throws. */
export function checkWorkflow(wf: Workflow, registry: AgentRegistry): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const byId = new Map<string, Step>();
  wf.steps.forEach((s, i) => {
    if (byId.has(s.id)) {
      issues.push({
        code: C.DUPLICATE_STEP,
        stepId: s.id,
        path: `steps.${i}.id`,
        message: `step id ${s.id} is used twice`,
      });
    } else byId.set(s.id, s);
  });

  const outputSchemaOf = (stepId: string): z.ZodType | undefined => {
    const s = byId.get(stepId);
    if (s === undefined) return undefined;
    if (s.decide !== undefined) return decisionOutputSchema;
    return s.agent === undefined ? undefined : registry.get(s.agent)?.output;
  };

  const checkRef = (from: string, where: string, stepId: string | undefined): void => {
    const ref = parseReference(from);
    const owner = stepId === undefined ? '' : `step ${stepId}: `;
    if (!byId.has(ref.stepId)) {
      issues.push({
        code: C.UNKNOWN_REFERENCE,
        ...(stepId === undefined ? {} : { stepId }),
        path: where,
        message: `${owner}${where} references unknown step "${ref.stepId}" (in "${from}")`,
      });
      return;
    }
    if (ref.stepId === stepId) return; // reported as a cycle
    const schema = outputSchemaOf(ref.stepId);
    if (schema === undefined) return; // unknown agent, reported on its own step
    const at = checkSchemaPath(schema, ref.path);
    if (at !== 'ok') {
      const missing = ref.path.slice(0, at.missingAt + 1).join('.');
      issues.push({
        code: C.INVALID_REFERENCE_PATH,
        ...(stepId === undefined ? {} : { stepId }),
        path: where,
        message: `${owner}${where} reads "${from}", but the output of ${ref.stepId} has no field "${missing}"`,
      });
    }
  };

  wf.steps.forEach((s, i) => {
    const base = `steps.${i}`;
    const agent = s.agent === undefined ? undefined : registry.get(s.agent);
    if (s.agent !== undefined && agent === undefined) {
      const known = registry.names();
      issues.push({
        code: C.UNKNOWN_AGENT,
        stepId: s.id,
        path: `${base}.agent`,
        message: `step ${s.id} calls unknown agent "${s.agent}" (registered: ${known.length === 0 ? 'none' : known.join(', ')})`,
      });
    }
    s.dependsOn.forEach((d, j) => {
      if (!byId.has(d)) {
        issues.push({
          code: C.UNKNOWN_DEPENDENCY,
          stepId: s.id,
          path: `${base}.dependsOn.${j}`,
          message: `step ${s.id} depends on unknown step "${d}"`,
        });
      }
    });
    for (const [name, src] of Object.entries(s.inputs)) {
      if ('from' in src) checkRef(src.from, `${base}.inputs.${name}`, s.id);
    }
    if (s.when !== undefined) {
      checkRef(s.when.from, `${base}.when`, s.id);
      checkBranchCondition(s.when, `${base}.when`, s.id, byId, issues);
    }
    if (s.decide !== undefined) checkDecision(s, base, issues, checkRef);
    if (agent !== undefined) checkInputs(s, base, agent.inputs, issues);
    if (s.onError.type === 'fallback') {
      const schema = agent?.output ?? (s.decide === undefined ? undefined : decisionOutputSchema);
      if (schema !== undefined) {
        const r = schema.safeParse(s.onError.value);
        if (!r.success) {
          issues.push({
            code: C.INVALID_FALLBACK,
            stepId: s.id,
            path: `${base}.onError.value`,
            message: `step ${s.id}: fallback value does not match the output schema of ${s.agent ?? 'a decision'} (${firstIssue(r.error)})`,
          });
        }
      }
    }
  });

  for (const [name, ref] of Object.entries(wf.outputs)) checkRef(ref.from, `outputs.${name}`, undefined);
  issues.push(...findCycles(wf.steps, byId));
  return issues;
}

function checkInputs(s: Step, base: string, inputs: z.ZodObject, issues: WorkflowIssue[]): void {
  const shape = inputs.shape as Record<string, z.ZodType>;
  const open = inputs._zod.def.catchall !== undefined && inputs._zod.def.catchall._zod.def.type !== 'never';
  for (const [name, field] of Object.entries(shape)) {
    if (!(name in s.inputs) && !field.safeParse(undefined).success) {
      issues.push({
        code: C.MISSING_INPUT,
        stepId: s.id,
        path: `${base}.inputs.${name}`,
        message: `step ${s.id}: agent ${s.agent} needs input "${name}", which is not given`,
      });
    }
  }
  for (const [name, src] of Object.entries(s.inputs)) {
    const field = shape[name];
    if (field === undefined) {
      if (!open) {
        issues.push({
          code: C.UNKNOWN_INPUT,
          stepId: s.id,
          path: `${base}.inputs.${name}`,
          message: `step ${s.id}: agent ${s.agent} has no input "${name}" (inputs: ${Object.keys(shape).join(', ') || 'none'})`,
        });
      }
      continue;
    }
    if ('value' in src) {
      const r = field.safeParse(src.value);
      if (!r.success) {
        issues.push({
          code: C.INVALID_LITERAL,
          stepId: s.id,
          path: `${base}.inputs.${name}`,
          message: `step ${s.id}: literal for input "${name}" does not match agent ${s.agent}'s schema (${firstIssue(r.error)})`,
        });
      }
    }
  }
}

function checkDecision(
  s: Step,
  base: string,
  issues: WorkflowIssue[],
  checkRef: (from: string, where: string, stepId: string) => void,
): void {
  const decide = s.decide;
  if (decide === undefined) return;
  const names = new Set<string>();
  decide.branches.forEach((b, j) => {
    if (names.has(b.name)) {
      issues.push({
        code: C.UNKNOWN_BRANCH,
        stepId: s.id,
        path: `${base}.decide.branches.${j}.name`,
        message: `step ${s.id}: branch name ${b.name} is used twice`,
      });
    }
    names.add(b.name);
    if (b.if !== undefined) checkRef(b.if.from, `${base}.decide.branches.${j}.if`, s.id);
  });
  if (decide.default !== undefined && !names.has(decide.default)) {
    issues.push({
      code: C.UNKNOWN_BRANCH,
      stepId: s.id,
      path: `${base}.decide.default`,
      message: `step ${s.id}: default branch "${decide.default}" is not one of ${[...names].join(', ')}`,
    });
  }
}

/** A `when` on a decision's `branch` must name one of its branches. */
function checkBranchCondition(
  cond: Condition,
  where: string,
  stepId: string,
  byId: ReadonlyMap<string, Step>,
  issues: WorkflowIssue[],
): void {
  const ref = parseReference(cond.from);
  const decision = byId.get(ref.stepId)?.decide;
  if (decision === undefined || ref.path.join('.') !== 'branch') return;
  const names = decision.branches.map((b) => b.name);
  const values =
    cond.op === 'in' && Array.isArray(cond.value)
      ? cond.value
      : cond.op === 'eq' || cond.op === 'ne'
        ? [cond.value]
        : [];
  for (const v of values) {
    if (typeof v !== 'string' || !names.includes(v)) {
      issues.push({
        code: C.UNKNOWN_BRANCH,
        stepId,
        path: where,
        message: `step ${stepId}: condition on ${ref.stepId}.branch compares with ${JSON.stringify(v)}, not a branch of ${ref.stepId} (${names.join(', ')})`,
      });
    }
  }
}

/** Each dependency cycle once, as `a → b → a`, naming its first step. */
function findCycles(steps: readonly Step[], byId: ReadonlyMap<string, Step>): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const color = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    color.set(id, 'grey');
    stack.push(id);
    const step = byId.get(id);
    for (const dep of step === undefined ? [] : dependenciesOf(step)) {
      if (!byId.has(dep)) continue;
      const c = color.get(dep);
      if (c === 'grey') {
        const cycle = stack.slice(stack.indexOf(dep));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          // The stack runs from dependents to dependencies; print it in execution order.
          const order = [...cycle].reverse();
          const first = order[0] as string;
          issues.push({
            code: C.CYCLE,
            stepId: first,
            path: `steps.${steps.findIndex((s) => s.id === first)}.dependsOn`,
            message: `dependency cycle: ${[...order, first].join(' → ')}`,
          });
        }
      } else if (c === undefined) visit(dep);
    }
    stack.pop();
    color.set(id, 'black');
  };
  for (const s of steps) if (!color.has(s.id)) visit(s.id);
  return issues;
}

function stepIdAt(input: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'steps' || typeof path[1] !== 'number') return undefined;
  const steps = (input as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return undefined;
  const id = (steps[path[1]] as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : `#${path[1]}`;
}

function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  if (i === undefined) return 'invalid';
  return `${i.path.length === 0 ? '' : `${i.path.map(String).join('.')}: `}${i.message}`;
}
