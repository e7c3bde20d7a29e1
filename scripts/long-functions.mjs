#!/usr/bin/env node
// Lists the functions of src/ and webview/ longer than a screen (80 lines by default: `node scripts/long-functions.mjs 60`).
// A function that stays long says why in a comment line right above it that starts with "Long:"; those are listed apart.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const limit = Number(process.argv[2] ?? 80);
const roots = ['src', 'webview'];
const files = roots
  .flatMap((r) => (fs.existsSync(r) ? fs.readdirSync(r, { recursive: true }).map((f) => path.join(r, f)) : []))
  .filter((f) => /\.tsx?$/.test(f));

const nameOf = (node) => {
  if (node.name) return node.name.getText();
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)))
    return p.name.getText();
  return '(anonymous)';
};

const long = [];
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const n = end - start + 1;
      if (n > limit) {
        // The statement the function belongs to (a const, a property) starts the comment search.
        let owner = node;
        while (
          owner.parent &&
          !ts.isSourceFile(owner.parent) &&
          !ts.isClassLike(owner.parent) &&
          !ts.isBlock(owner.parent) &&
          !ts.isObjectLiteralExpression(owner.parent)
        )
          owner = owner.parent;
        const first = sf.getLineAndCharacterOfPosition(owner.getStart(sf)).line;
        let reason;
        for (let l = first - 1; l >= 0 && /^\s*(\/\/|\/\*|\*)/.test(lines[l]); l--) {
          const m = /Long:\s*(.*)/.exec(lines[l]);
          if (m) reason = m[1];
        }
        long.push({ where: `${file}:${start + 1}`, name: nameOf(node), n, reason });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
long.sort((a, b) => b.n - a.n);
const unexplained = long.filter((f) => !f.reason);
for (const f of unexplained) console.log(`${String(f.n).padStart(4)} lines  ${f.name}  ${f.where}`);
for (const f of long.filter((g) => g.reason))
  console.log(`${String(f.n).padStart(4)} lines  ${f.name}  ${f.where}  (long: ${f.reason})`);
console.log(
  `${unexplained.length} functions over ${limit} lines without a reason, ${long.length - unexplained.length} with one`,
);
