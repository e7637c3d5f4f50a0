// Development only: makes this process load Orrery from its TypeScript sources. Registers tsx (a dev
// dependency of @orrery/runner, absent from an installed package, which always has dist/) and adds the
// `@orrery/source` condition, so every `@orrery/*` import and `#cli` resolve to `src/*.ts`.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
const addSourceCondition = `export function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('@orrery/source')
    ? context.conditions
    : ['@orrery/source', ...context.conditions];
  return next(specifier, { ...context, conditions });
}`;
register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
