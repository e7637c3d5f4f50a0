#!/usr/bin/env node
// The longest functions of some TypeScript sources, by lines from the function's first line (its name or
// `(`) to its closing brace, comments inside included. Every function counts on its own: a function
// declared inside another is listed too, and its lines count in both.
//   node scripts/longest-functions.mjs [--top N] [DIR…]      # default: --top 10 apps/runner/src
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt === -1 ? 10 : Number(args.splice(topAt, 2)[1]);
const dirs = args.length > 0 ? args : ['apps/runner/src'];

/** Every `.ts` file (not `.d.ts`) under `dir`. */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A readable name for a function node: its own, the variable or property it is assigned to, or `(anonymous)`. */
function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)))
    return p.name.getText(sf);
  if (p && ts.isCallExpression(p)) return `(callback of ${p.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

/** The class or function a node sits in, for `Class.method` names. */
function ownerOf(node, sf) {
  for (let p = node.parent; p; p = p.parent) {
    if ((ts.isClassDeclaration(p) || ts.isClassExpression(p)) && p.name) return `${p.name.getText(sf)}.`;
  }
  return '';
}

const rows = [];
for (const dir of dirs) {
  for (const file of files(join(root, dir))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        rows.push({
          lines: end - start + 1,
          name: `${ownerOf(node, sf)}${nameOf(node, sf)}`,
          at: `${relative(root, file)}:${start + 1}`,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows.slice(0, top)) console.log(`${String(r.lines).padStart(4)}  ${r.name}  ${r.at}`);
