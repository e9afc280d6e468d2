import ts from 'typescript';

/** slonik's query methods: each call is one statement sent to the server. */
const QUERY_METHODS = new Set(['query', 'one', 'oneFirst', 'maybeOne', 'maybeOneFirst', 'any', 'anyFirst', 'many', 'manyFirst', 'exists']);

export type StatementCount = { readonly name: string; readonly statements: number };

const isFunctionLike = (n: ts.Node): n is ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration =>
  ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n);

const isLoop = (n: ts.Node): boolean =>
  ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);

/**
 * How many statements each exported function of a queries/ module may send outside a transaction, counted
 * statically: every use of the function's first parameter (the pool or a connection) counts once —
 * `db.<query method>(…)`, `db.transaction(…)` (one atomic unit, whatever its callback does) and `db` handed
 * to another function (at least one statement). A use inside a loop or a nested callback (other than the
 * transaction's) may repeat, so it counts twice. Conservative on purpose: more than one means the function
 * is not atomic on its own.
 */
export const countStatements = (fileName: string, source: string): readonly StatementCount[] => {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const exported: { name: string; fn: ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration }[] = [];
  for (const st of file.statements) {
    const isExported = ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!isExported) continue;
    if (ts.isFunctionDeclaration(st) && st.name) exported.push({ name: st.name.text, fn: st });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && isFunctionLike(d.initializer))
          exported.push({ name: d.name.text, fn: d.initializer });
      }
    }
  }
  return exported.map(({ name, fn }) => {
    const first = fn.parameters[0];
    if (!first || !ts.isIdentifier(first.name)) return { name, statements: 0 };
    const db = first.name.text;
    let statements = 0;
    const visit = (node: ts.Node, repeats: boolean): void => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const onDb = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === db;
        if (onDb && callee.name.text === 'transaction') {
          statements += repeats ? 2 : 1;
          return; // the callback runs in its own transaction (or savepoint): atomic as a whole
        }
        if ((onDb && QUERY_METHODS.has(callee.name.text)) || node.arguments.some((a) => ts.isIdentifier(a) && a.text === db)) {
          statements += repeats ? 2 : 1;
        }
      }
      ts.forEachChild(node, (child) => visit(child, repeats || isLoop(node) || (node !== fn && isFunctionLike(node))));
    };
    visit(fn, false);
    return { name, statements };
  });
};

/** A template's text with each `${…}` replaced by `?`. */
const templateText = (t: ts.TemplateLiteral): string =>
  ts.isNoSubstitutionTemplateLiteral(t) ? t.text : t.head.text + t.templateSpans.map((s) => `?${s.literal.text}`).join('');

/**
 * The SQL templates that write a run's status by hand (`update runs … set … status = …`) instead of through
 * the state machine's fragment, which is an interpolation and so never appears in a template's own text.
 */
export const handWrittenRunStatusWrites = (fileName: string, source: string): readonly string[] => {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node)) {
      const text = templateText(node.template);
      const set = /\bupdate\s+runs\b(?:\s+\w+)?\s+set\b([\s\S]*?)(?:\bwhere\b|\breturning\b|$)/iu.exec(text)?.[1];
      if (set !== undefined && /\bstatus\s*=/iu.test(set)) found.push(text.trim());
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
};
