import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ServeHarness, serveHarness } from './support/serve-harness.ts';

const WORKFLOW = {
  id: 'spy-brief',
  steps: [
    {
      id: 'market',
      agent: 'market_summary',
      inputs: { data: { value: 'spy' }, from: { value: '2008-01-01' }, to: { value: '2008-12-31' } },
    },
    { id: 'brief', agent: 'summarise', inputs: { text: { from: 'market' } } },
  ],
  outputs: { ret: { from: 'market.returnPct' }, brief: { from: 'brief.summary' } },
};

describe('POST /workflows', () => {
  let h: ServeHarness;
  beforeAll(async () => {
    h = await serveHarness();
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    h.server.reset();
    h.server.setDefault((r) =>
      JSON.stringify(r.body).includes('You plan workflows') ? { json: WORKFLOW } : { text: 'A bad year.' },
    );
  });
  const post = (payload: unknown) =>
    h.app.inject({ method: 'POST', url: '/workflows', payload: payload as object });

  it('runs a workflow and answers its outputs; its LLM step goes through the gateway', async () => {
    const res = await post({ workflow: WORKFLOW, runId: 'w1' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ runId: 'w1', status: 'succeeded', outputs: { brief: 'A bad year.' } });
    expect(body.outputs.ret).toBeLessThan(-30);
    expect(h.server.requests).toHaveLength(1);
    // The same id again is a conflict, not a second run.
    const again = await post({ workflow: WORKFLOW, runId: 'w1' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ORRERY_WORKFLOW_RUN_EXISTS');
  });

  it('plans from a request with one LLM call, then runs the plan', async () => {
    const res = await post({ request: 'How did SPY do in 2008?' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'succeeded', plan: { repaired: false, attempts: 1 } });
    expect(h.server.requests).toHaveLength(2);
  });

  it('a plan invalid twice is 422 and runs nothing', async () => {
    h.server.setDefault(() => ({ json: { ...WORKFLOW, steps: [{ id: 'x', agent: 'nope' }] } }));
    const res = await post({ request: 'anything' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('ORRERY_WORKFLOW_PLAN_REJECTED');
    expect(h.server.requests).toHaveLength(2);
  });

  it('an invalid workflow or body is a 400 naming the problem; nothing runs', async () => {
    const bad = await post({ workflow: { ...WORKFLOW, steps: [{ id: 'a', agent: 'nope' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'ORRERY_WORKFLOW_INVALID' });
    expect(bad.json().error.message).toContain('nope');
    const both = await post({ workflow: WORKFLOW, request: 'x' });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.code).toBe('ORRERY_HTTP_INVALID_BODY');
    expect(h.server.requests).toHaveLength(0);
  });
});
