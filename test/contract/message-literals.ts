import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Every message text the API can send, read from the source with the TypeScript parser (Node only: the
 * contract project runs it). A template literal becomes its catalog key: each `${expression}` is written
 * `{expression}` (its source text), e.g. `${what} not found` → `{what} not found`. Messages computed
 * elsewhere (a variable) are not seen here; a literal anywhere in the places below is.
 */
export interface MessageLiteral {
  /** The catalog key: the text, or the template with `{expression}` placeholders. */
  key: string;
  /** Whether it is a template literal with placeholders (a catalog template) or plain text (a catalog message). */
  template: boolean;
  /** Where it was found, `src/...:line`. */
  at: string;
  /** What kind of place: an AppError's message, a notFound noun, an ok() message, a zod message. */
  kind: 'error' | 'noun' | 'ok' | 'zod';
}

/** Zod checks taking no value, whose only argument may be a message (`z.string().email('text')`). */
const ZOD_BARE_CHECKS = new Set(['email', 'url', 'uuid', 'int', 'positive', 'nonnegative', 'negative', 'nonempty']);
/** Zod checks whose last argument after a value may be a message (`z.string().min(1, 'Required')`, `.refine(fn, 'text')`). */
const ZOD_CHECKS = new Set([
  ...ZOD_BARE_CHECKS,
  'refine',
  'min',
  'max',
  'length',
  'regex',
  'startsWith',
  'endsWith',
  'includes',
  'gt',
  'gte',
  'lt',
  'lte',
  'multipleOf',
]);

/** Property names whose contents are documentation (OpenAPI examples), not messages. */
const EXAMPLES = new Set(['example', 'examples']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The catalog keys of a message expression: literals, templates, and both arms of a conditional. */
function keysOf(
  node: ts.Expression,
  source: ts.SourceFile,
  constants: Map<string, ts.Expression>,
): { key: string; template: boolean }[] {
  if (ts.isParenthesizedExpression(node)) return keysOf(node.expression, source, constants);
  // A message kept in a constant of the file (`const INVALID_LOGIN = '…'`).
  const constant = ts.isIdentifier(node) ? constants.get(node.text) : undefined;
  if (constant) return keysOf(constant, source, new Map());
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    return [{ key: node.text, template: false }];
  if (ts.isTemplateExpression(node)) {
    let key = node.head.text;
    for (const span of node.templateSpans) key += `{${span.expression.getText(source)}}${span.literal.text}`;
    return [{ key, template: true }];
  }
  if (ts.isConditionalExpression(node)) {
    return [...keysOf(node.whenTrue, source, constants), ...keysOf(node.whenFalse, source, constants)];
  }
  return [];
}

/** Whether `node` sits inside documentation: an `example(s)` property or an `.openapi(...)` call. */
function inExample(node: ts.Node): boolean {
  for (let up = node.parent; up; up = up.parent) {
    if (ts.isPropertyAssignment(up) && ts.isIdentifier(up.name) && EXAMPLES.has(up.name.text)) return true;
    if (
      ts.isCallExpression(up) &&
      ts.isPropertyAccessExpression(up.expression) &&
      up.expression.name.text === 'openapi'
    ) {
      return true;
    }
  }
  return false;
}

/** Whether an object literal is a notice's data (it has a `title`): notices have templates of their own. */
function isNotice(object: ts.Node): boolean {
  return (
    ts.isObjectLiteralExpression(object) &&
    object.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'title')
  );
}

const calleeName = (call: ts.CallExpression | ts.NewExpression): string | null => {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return null;
};

/** Properties holding a message for a later AppError (`contact.taken`). */
const MESSAGE_PROPERTIES = new Set(['message', 'taken']);

/**
 * Functions of src that take a message and throw or return an AppError with it (`assertFlagOn(ctx, key,
 * message)`, `invalid(field, message)`): their names and the position of the parameter named `message`.
 */
function messageParameters(sources: ts.SourceFile[]): Map<string, number> {
  const found = new Map<string, number>();
  const record = (name: string, params: ts.NodeArray<ts.ParameterDeclaration>) => {
    const index = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === 'message');
    if (index >= 0) found.set(name, index);
  };
  for (const source of sources) {
    const visit = (node: ts.Node) => {
      if (ts.isFunctionDeclaration(node) && node.name) record(node.name.text, node.parameters);
      if (
        ts.isVariableDeclaration(node) &&
        ts.isIdentifier(node.name) &&
        node.initializer &&
        (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
      ) {
        record(node.name.text, node.initializer.parameters);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  // Loggers take a message too; theirs are never sent to a client.
  for (const name of ['log', 'warn', 'error', 'info', 'debug']) found.delete(name);
  return found;
}

/** Every message literal under `root/src`. */
export function messageLiterals(root: string): MessageLiteral[] {
  const found: MessageLiteral[] = [];
  // The catalogs themselves hold translations, not messages.
  const sources = files(join(root, 'src'))
    .filter((path) => !relative(root, path).startsWith(join('src', 'lib', 'i18n')))
    .map((path) => ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true));
  const takers = messageParameters(sources);
  for (const source of sources) {
    const path = source.fileName;
    const text = source.text;
    const usesZod = /from ['"](?:zod|@hono\/zod-openapi)['"]/.test(text);
    const constants = new Map<string, ts.Expression>();
    const collect = (node: ts.Node) => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && /^[A-Z][A-Z0-9_]+$/.test(node.name.text)) {
        if (node.initializer && (ts.isStringLiteral(node.initializer) || ts.isTemplateExpression(node.initializer))) {
          constants.set(node.name.text, node.initializer);
        }
      }
      ts.forEachChild(node, collect);
    };
    collect(source);
    const add = (node: ts.Expression | undefined, kind: MessageLiteral['kind']) => {
      if (!node) return;
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      for (const { key, template } of keysOf(node, source, constants)) {
        found.push({ key, template, at: `${relative(root, path)}:${line}`, kind });
      }
    };
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node) && calleeName(node) === 'AppError') add(node.arguments?.[1], 'error');
      if (ts.isCallExpression(node)) {
        const name = calleeName(node);
        if (name === 'notFound' && ts.isIdentifier(node.expression)) add(node.arguments[0], 'noun');
        if (name === 'ok' && ts.isIdentifier(node.expression)) add(node.arguments[1], 'ok');
        const taker = name && ts.isIdentifier(node.expression) ? takers.get(name) : undefined;
        // A bare identifier-like word there is a field name of a helper sharing the name, not a message.
        const argument = taker === undefined || name === 'ok' ? undefined : node.arguments[taker];
        if (argument && !(ts.isStringLiteral(argument) && /^[a-z][A-Za-z]*$/.test(argument.text)))
          add(argument, 'error');
        if (usesZod && name && ZOD_CHECKS.has(name) && ts.isPropertyAccessExpression(node.expression)) {
          const last = node.arguments[node.arguments.length - 1];
          if (last && node.arguments.length >= (ZOD_BARE_CHECKS.has(name) ? 1 : 2)) add(last, 'zod');
        }
      }
      // `{ message: '…' }` / `{ error: '…' }`: a zod check's options in a file using zod, a field error anywhere.
      if (
        ts.isPropertyAssignment(node) &&
        (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) &&
        (MESSAGE_PROPERTIES.has(node.name.text) || node.name.text === 'error') &&
        !inExample(node)
      ) {
        if (usesZod && node.name.text !== 'taken') add(node.initializer, 'zod');
        else if (MESSAGE_PROPERTIES.has(node.name.text) && !isNotice(node.parent)) add(node.initializer, 'error');
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
