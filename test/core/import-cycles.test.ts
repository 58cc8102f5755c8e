/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';

/**
 * Imports form no cycle: not between files of src/ (type-only imports count, as they tie the files
 * together just the same), and not between modules (src/modules/<name>). A cycle makes module
 * initialisation order matter and blurs which module owns what; the fix is to move what both sides
 * need below them (src/lib, src/db, src/access, or a module's schemas), not to import lazily.
 */

/** Every source file's text, keyed by its path from the repository root (`/src/...`). */
const SOURCES = import.meta.glob<string>('/src/**/*.ts', { query: '?raw', import: 'default', eager: true });

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** Source text without comments, so examples in TSDoc are not read as imports. */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** `from` + a relative specifier, normalised (`/src/a/b` + `../c` → `/src/a/c`). */
function join(from: string, specifier: string): string {
  const parts = from.split('/');
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}

/** The files each file imports (relative specifiers only; packages and `cloudflare:*` are not ours). */
function importGraph(sources: Record<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of Object.entries(sources)) {
    const targets = new Set<string>();
    const code = withoutComments(text);
    for (const pattern of IMPORT_PATTERNS) {
      for (const match of code.matchAll(pattern)) {
        const specifier = match[1]!;
        if (!specifier.startsWith('.')) continue;
        const base = join(dirname(file), specifier);
        const target = [base, `${base}.ts`, `${base}/index.ts`].find((candidate) => candidate in sources);
        if (!target) throw new Error(`${file}: cannot resolve '${specifier}'`);
        targets.add(target);
      }
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The strongly connected components with more than one node, or a node importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The module (`auth`, `users`…) a file belongs to, or null outside src/modules. */
const moduleOf = (file: string) => /^\/src\/modules\/([^/]+)\//.exec(file)?.[1] ?? null;

/** Module → modules it imports from. */
function moduleGraph(files: Map<string, string[]>): Map<string, string[]> {
  const graph = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = moduleOf(file);
    if (!from) continue;
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const target of targets) {
      const to = moduleOf(target);
      if (to && to !== from) edges.add(to);
    }
  }
  return new Map([...graph].map(([name, edges]) => [name, [...edges]]));
}

describe('import cycles', () => {
  const files = importGraph(SOURCES);

  it('Should read every source file and its relative imports', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(files.get('/src/app.ts')).toContain('/src/context.ts');
    // Re-exports, type-only imports and lazy imports are all edges.
    expect(files.get('/src/modules/admin/admin.service.ts')).toContain('/src/modules/admin/service/create.ts');
    expect(files.get('/src/modules/auth/sign-in.service.ts')).toContain('/src/modules/users/users.schemas.ts');
  });

  it('Should find a cycle when there is one', () => {
    const graph = importGraph({
      '/src/a.ts': "import { b } from './b';",
      '/src/b.ts': "import type { C } from './c/index';",
      '/src/c/index.ts': "export { a } from '../a';\n// import { d } from './d';",
      '/src/d.ts': "const a = () => import('./a');",
    });
    expect(cycles(graph)).toEqual([['/src/a.ts', '/src/b.ts', '/src/c/index.ts']]);
    expect(
      cycles(
        moduleGraph(
          new Map([
            ['/src/modules/x/x.ts', ['/src/modules/y/y.ts']],
            ['/src/modules/y/y.ts', ['/src/modules/x/x.ts']],
          ]),
        ),
      ),
    ).toEqual([['x', 'y']]);
  });

  it('Should find a cycle between modules whose files form none', () => {
    // The shape account erasure once had: users composed every module's erasure file while those
    // modules' other files imported users' rules. No file imports itself back, the modules do.
    const graph = importGraph({
      '/src/modules/users/erase.ts': "import { xErasure } from '../x/x.erasure';",
      '/src/modules/users/rules.ts': 'export const rule = 1;',
      '/src/modules/x/x.erasure.ts': 'export const xErasure = 1;',
      '/src/modules/x/x.service.ts': "import { rule } from '../users/rules';",
      '/src/modules/y/y.service.ts': "import { rule } from '../users/rules';",
    });
    expect(cycles(graph)).toEqual([]);
    expect(cycles(moduleGraph(graph))).toEqual([['users', 'x']]);
  });

  it('Should have no import cycle between files of src/', () => {
    expect(cycles(files)).toEqual([]);
  });

  it('Should have no import cycle between modules', () => {
    const modules = moduleGraph(files);
    expect(modules.size).toBeGreaterThan(10);
    expect(cycles(modules)).toEqual([]);
  });

  it('Should let auth import users, and never users auth', () => {
    const modules = moduleGraph(files);
    expect(modules.get('auth')).toContain('users');
    expect(modules.get('users')).not.toContain('auth');
  });
});
