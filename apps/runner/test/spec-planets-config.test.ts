import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';

const d = tempDir('orrery-spec-config-');
afterAll(() => d.remove());

async function check(yaml: string) {
  const file = join(d.path, 'orrery.yaml');
  writeFileSync(file, yaml);
  const out: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(t),
    err: (t) => out.push(t),
    env: {},
    cwd: d.path,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['node', 'orrery', 'config', 'check', '--config', file], io);
  return { code, text: out.join('\n') };
}

const spec = (rule: string, extra = '') => `agents:
  planets:
    specs:
      - name: fade
        moons: [rsi]
        prompt: "RSI {{rsi.rsi}}"
        answer: { type: object, properties: { signal: { type: number }, confidence: { type: number } } }
        rules:
          - { when: ${rule}, signal: -0.5, confidence: 0.6 }
${extra}`;

describe('agents.planets.specs in orrery config check', () => {
  it('accepts a valid spec', async () => {
    const r = await check(spec('{ moon: rsi, field: rsi, op: ">", value: 70 }'));
    expect(r.text).not.toMatch(/invalid/);
    expect(r.code).toBe(0);
  });

  it('a routing tree may route to a spec planet', async () => {
    const routing = `  routing:
    name: analysis
    left: { name: technical, planets: [technical] }
    right: { name: fading, planets: [fade] }
    router: { rules: [{ when: { field: news, above: 0 }, go: both }], otherwise: left }
`;
    const ok = await check(spec('{ moon: rsi, field: rsi, op: ">", value: 70 }', routing));
    const bad = await check(
      spec('{ moon: rsi, field: rsi, op: ">", value: 70 }', routing.replace('[fade]', '[fad]')),
    );
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(
      /agents\.routing.*unknown planet 'fad' \(planets: technical, risk, sentiment, execution, fade\)/,
    );
    expect(ok.text).not.toMatch(/invalid/);
    expect(ok.code).toBe(0);
  });

  it('names the key path of every problem of a bad spec', async () => {
    const r = await check(
      spec(
        '{ moon: rsi, field: rsii, op: ">", value: 70 }',
        `      - name: technical
        moons: [tea]
        prompt: x
        answer: { type: object, properties: { signal: { type: number } } }
        colour: blue
`,
      ),
    );
    expect(r.code).toBe(1);
    expect(r.text).toContain(
      "agents.planets.specs[0].rules[0].when.field: moon 'rsi' has no field 'rsii' (fields: rsi)",
    );
    expect(r.text).toContain('agents.planets.specs[1].colour: unknown key');
    expect(r.text).toContain(
      "agents.planets.specs[1].answer.properties.confidence: the answer must have a number property 'confidence'",
    );
  });
});
