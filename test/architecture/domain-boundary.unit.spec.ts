/*
 * The domain is pure: it imports no framework, database or broker, no other patchstate library, and it
 * never reads the clock or makes ids (the shell supplies both in CommandMetadata). This test reads every
 * source file of libs/domain/src with the TypeScript parser, so comments and strings never count.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const DOMAIN_SRC = path.resolve(__dirname, '../../libs/domain/src');
const SELF = '@patchstate/domain';

interface Violation {
  line: number;
  rule: string;
  text: string;
}

function forbiddenModule(specifier: string): string | null {
  if (/^@nestjs\//.test(specifier)) return 'imports a NestJS package';
  if (/^(typeorm|kafkajs|pg)(\/.*)?$/.test(specifier)) return `imports ${specifier.split('/')[0]}`;
  if (/^@patchstate\//.test(specifier) && specifier !== SELF && !specifier.startsWith(`${SELF}/`)) return `imports another library (${specifier})`;
  return null;
}

/** `Date`, `Math`, also when reached through globalThis/window/global. */
function globalName(expression: ts.Expression): string | null {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && ['globalThis', 'global', 'window'].includes(expression.expression.text)) {
    return expression.name.text;
  }
  return null;
}

function calleeRule(callee: ts.Expression): string | null {
  if (ts.isPropertyAccessExpression(callee)) {
    const owner = globalName(callee.expression);
    const member = callee.name.text;
    if (owner === 'Date' && member === 'now') return 'reads the clock (Date.now())';
    if (owner === 'Math' && member === 'random') return 'makes randomness (Math.random())';
    if (owner === 'performance' && member === 'now') return 'reads the clock (performance.now())';
    if (member === 'randomUUID') return 'makes ids (randomUUID())';
    return null;
  }
  const name = globalName(callee);
  if (name === 'randomUUID') return 'makes ids (randomUUID())';
  if (name === 'Date') return 'reads the clock (Date())';
  return null;
}

/** Every rule the source breaks, with its line. Used on the real sources and, in the self-check, on samples. */
function scanSource(source: string, fileName = 'sample.ts'): Violation[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: Violation[] = [];
  const report = (node: ts.Node, rule: string) =>
    found.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, rule, text: node.getText(file) });
  const checkModule = (node: ts.Node, specifier: ts.Expression | undefined) => {
    if (specifier && ts.isStringLiteralLike(specifier)) {
      const rule = forbiddenModule(specifier.text);
      if (rule) report(node, rule);
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) checkModule(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      checkModule(node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) checkModule(node, node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isRequire || node.expression.kind === ts.SyntaxKind.ImportKeyword) checkModule(node, node.arguments[0]);
      const rule = calleeRule(node.expression);
      if (rule) report(node, rule);
    } else if (ts.isNewExpression(node) && globalName(node.expression) === 'Date' && (node.arguments ?? []).length === 0) {
      report(node, 'reads the clock (new Date() without arguments)');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('the domain boundary', () => {
  const files = sourceFiles(DOMAIN_SRC);

  it('finds the domain sources to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(files.map((f) => path.relative(DOMAIN_SRC, f))).toContain('index.ts');
  });

  it('keeps libs/domain/src free of frameworks, I/O libraries, other libraries, the clock and id generation', () => {
    const violations = files.flatMap((file) =>
      scanSource(fs.readFileSync(file, 'utf8'), file).map((v) => `${path.relative(DOMAIN_SRC, file)}:${v.line} ${v.rule}: ${v.text}`),
    );
    expect(violations).toEqual([]);
  });
});

describe('the boundary scanner itself', () => {
  const rulesOf = (source: string) => scanSource(source).map((v) => v.rule);

  it.each([
    [`import { Injectable } from '@nestjs/common';`, 'imports a NestJS package'],
    [`import type { ModuleRef } from '@nestjs/core';`, 'imports a NestJS package'],
    [`import { Entity } from 'typeorm';`, 'imports typeorm'],
    [`import { Repository } from 'typeorm/repository/Repository';`, 'imports typeorm'],
    [`import { Kafka } from 'kafkajs';`, 'imports kafkajs'],
    [`import { Pool } from 'pg';`, 'imports pg'],
    [`const pg = require('pg');`, 'imports pg'],
    [`export { EventStore } from '@patchstate/event-store';`, 'imports another library (@patchstate/event-store)'],
    [`const m = import('@patchstate/messaging');`, 'imports another library (@patchstate/messaging)'],
    [`import 'kafkajs';`, 'imports kafkajs'],
    [`type T = import('typeorm').DataSource;`, 'imports typeorm'],
    [`const at = Date.now();`, 'reads the clock (Date.now())'],
    [`const at = new Date().toISOString();`, 'reads the clock (new Date() without arguments)'],
    [`const at = new Date;`, 'reads the clock (new Date() without arguments)'],
    [`const at = Date();`, 'reads the clock (Date())'],
    [`const at = globalThis.Date.now();`, 'reads the clock (Date.now())'],
    [`const id = Math.random();`, 'makes randomness (Math.random())'],
    [`const id = randomUUID();`, 'makes ids (randomUUID())'],
    [`const id = crypto.randomUUID();`, 'makes ids (randomUUID())'],
  ])('catches %s', (source, rule) => {
    expect(rulesOf(source)).toEqual([rule]);
  });

  it.each([
    `import { compareBuilds } from './shared/builds';`,
    `import { decideDevice } from '@patchstate/domain';`,
    `import { Client } from 'pg-format-like';`,
    `const at = new Date(Date.parse(value));`,
    `const ok = !Number.isNaN(Date.parse(value));`,
    `// never calls Date.now() or randomUUID(), never imports '@nestjs/common'`,
    `const hint = "import { Kafka } from 'kafkajs'; Date.now()";`,
    `/** new Date() is read by the shell */ export const x = 1;`,
  ])('lets %s through', (source) => {
    expect(rulesOf(source)).toEqual([]);
  });

  it('reports the line of each violation', () => {
    const source = [`import { x } from './x';`, ``, `export const at = () => Date.now();`].join('\n');
    expect(scanSource(source)).toEqual([{ line: 3, rule: 'reads the clock (Date.now())', text: 'Date.now()' }]);
  });
});
