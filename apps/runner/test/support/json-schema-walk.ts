/** A property of a JSON Schema, found by {@link schemaProperties}. */
export interface SchemaProperty {
  /** Where it is, e.g. `gateway.providers.*.baseUrl` (`*`: any key of a record, `[]`: any item, `#name`: a definition). */
  path: string;
  /** Its description, its `$ref` target's when it is a reference. */
  description: string | undefined;
  /** Its schema (the reference itself when it is one). */
  schema: Record<string, unknown>;
  /** Listed in its object's `required`. */
  required: boolean;
}

type Node = Record<string, unknown>;

/**
 * Every property (a key of some `properties`) of a JSON Schema: under objects, record values
 * (`additionalProperties`), array items, tuple items, `anyOf`/`oneOf`/`allOf` branches and `$defs`.
 * A property that is a `$ref` to a definition takes that definition's description, as an editor shows it.
 */
export function schemaProperties(root: Node): SchemaProperty[] {
  const defs = (root.$defs ?? {}) as Record<string, Node>;
  const resolve = (n: Node): Node | undefined => {
    const ref = n.$ref;
    if (typeof ref !== 'string') return n;
    const m = /^#\/\$defs\/(.+)$/.exec(ref);
    return m === null ? undefined : defs[m[1] as string];
  };
  const out: SchemaProperty[] = [];
  const walk = (n: unknown, path: string) => {
    if (n === null || typeof n !== 'object' || Array.isArray(n)) return;
    const node = n as Node;
    const required = new Set((node.required ?? []) as string[]);
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
      const at = path === '' ? key : `${path}.${key}`;
      const desc = child.description ?? resolve(child)?.description;
      out.push({
        path: at,
        description: typeof desc === 'string' ? desc : undefined,
        schema: child,
        required: required.has(key),
      });
      walk(child, at);
    }
    for (const k of ['anyOf', 'oneOf', 'allOf', 'prefixItems'])
      if (Array.isArray(node[k])) for (const b of node[k] as unknown[]) walk(b, path);
    if (node.items !== undefined) walk(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.*`);
  };
  walk(root, '');
  for (const [name, def] of Object.entries(defs)) walk(def, `#${name}`);
  return out;
}
