import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { orreryArgv } from '../../../test/support/source-node.ts';
import { orreryJsonSchema } from '../src/config/schema.ts';
import { type SchemaProperty, schemaProperties } from './support/json-schema-walk.ts';

const example = fileURLToPath(new URL('../../../orrery.example.yaml', import.meta.url));
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalars = (v: unknown): unknown[] =>
  Array.isArray(v) ? v.flatMap(scalars) : isObject(v) ? Object.values(v as object).flatMap(scalars) : [v];

/** The paths of properties breaking each rule an editor's reader relies on. */
function undocumented(props: readonly SchemaProperty[]) {
  return {
    // Every key says what it does.
    noDescription: props.filter((p) => (p.description ?? '').trim().length < 10).map((p) => p.path),
    // A key that may be left out says what it is then (objects: their fields say; a const is itself).
    optionalWithoutDefault: props
      .filter(
        (p) =>
          !p.required &&
          p.schema.const === undefined &&
          p.schema.type !== 'object' &&
          !isObject(p.schema.default) &&
          !/\bdefault\b/i.test(p.description ?? ''),
      )
      .map((p) => p.path),
    // The default written in the text is the one the schema applies (scalars, and the items of lists).
    defaultNotInText: props
      .filter((p) => p.schema.default !== undefined && !isObject(p.schema.default))
      .filter((p) => !scalars(p.schema.default).every((v) => (p.description ?? '').includes(String(v))))
      .map((p) => `${p.path} (default ${JSON.stringify(p.schema.default)})`),
  };
}

describe('`orrery config schema`: every key documented for editors', () => {
  const res = spawnSync(process.execPath, orreryArgv(['config', 'schema']), { encoding: 'utf8' });
  const schema = JSON.parse(res.stdout) as Record<string, unknown>;

  it('prints the schema of the configuration', () => {
    expect(res.status).toBe(0);
    expect(schema).toEqual(JSON.parse(JSON.stringify(orreryJsonSchema())));
  });

  it('describes every property, says the default of each optional one, and the text matches the default', () => {
    const props = schemaProperties(schema);
    expect(props.length).toBeGreaterThan(300);
    expect(undocumented(props)).toEqual({
      noDescription: [],
      optionalWithoutDefault: [],
      defaultNotInText: [],
    });
  });

  it('is a valid JSON Schema 2020-12 (what yaml-language-server reads) that accepts the example and flags mistakes', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    expect(validate(parse(readFileSync(example, 'utf8')) ?? {}), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({})).toBe(true);
    expect(validate({ broker: { feeBps: 'ten' } })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/broker/feeBps');
    expect(validate({ broker: { feeBp: 10 } })).toBe(false);
  });
});

describe('the schema walk the check relies on', () => {
  it('names each undocumented property by its path, through records, items, unions and $refs', () => {
    const props = schemaProperties({
      type: 'object',
      required: ['a'],
      properties: {
        a: {
          description: 'documented well enough',
          type: 'object',
          additionalProperties: { type: 'object', properties: { b: { type: 'string' } } },
        },
        c: { type: 'array', items: { anyOf: [{ type: 'object', properties: { d: { default: 3 } } }] } },
        e: { $ref: '#/$defs/E' },
        f: { description: 'a number, Default 4', default: 5 },
      },
      $defs: { E: { description: 'described where it is defined' } },
    });
    expect(undocumented(props)).toEqual({
      noDescription: ['a.*.b', 'c', 'c[].d'],
      optionalWithoutDefault: ['a.*.b', 'c', 'c[].d', 'e'],
      defaultNotInText: ['c[].d (default 3)', 'f (default 5)'],
    });
    expect(props.find((p) => p.path === 'e')?.description).toBe('described where it is defined');
  });
});
