// Floating promises: a statement whose value is a promise nobody awaits, returns or marks with `void`.
// Every database call is a promise (SQLite and PostgreSQL alike), so one left floating is a write that
// may run out of order or fail unseen. Runs with the typecheck (npm run typecheck); prints file:line.
import ts from 'typescript';

const config = ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } });
if (!config) throw new Error('tsconfig.json: unreadable');
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const found: string[] = [];

function isThenable(t: ts.Type): boolean {
  if (t.isUnion()) return t.types.some(isThenable);
  // fastify's reply is thenable (it awaits the send); reply.header() and reply.code() chain, not wait.
  if (t.getSymbol()?.getName() === 'FastifyReply') return false;
  return !!t.getProperty('then') && !!checker.getTypeOfSymbol(t.getProperty('then')!).getCallSignatures().length;
}

for (const sf of program.getSourceFiles()) {
  if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
  const visit = (node: ts.Node): void => {
    if (ts.isExpressionStatement(node)) {
      const e = node.expression;
      // Handled: awaited, void, assigned, or given its own .then/.catch/.finally.
      const handledChain = ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)
        && ['then', 'catch', 'finally'].includes(e.expression.name.text);
      const marked = ts.isVoidExpression(e) || ts.isAwaitExpression(e) || handledChain
        || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken);
      if (!marked && isThenable(checker.getTypeAtLocation(e))) {
        const { line } = sf.getLineAndCharacterOfPosition(e.getStart());
        found.push(`${sf.fileName.replace(process.cwd() + '/', '')}:${line + 1}: ${e.getText().split('\n')[0]!.slice(0, 100)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
for (const f of found) console.log(f);
if (found.length) {
  console.error(`check-promises: ${found.length} promise(s) neither awaited, returned nor marked void`);
  process.exit(1);
}
