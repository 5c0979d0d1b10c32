// The sandboxed preload may require only 'electron' (Electron refuses anything else in a sandboxed renderer),
// and its own copy of the method list must match the API contract.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { METHOD_NAMES } from '../../main/common/api';

const source = readFileSync(path.resolve(__dirname, '../../preload/preload.ts'), 'utf8');

it('compiles to CommonJS that requires nothing but electron', () => {
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const required = [...outputText.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  expect(required).toEqual(['electron']);
  expect(outputText).not.toMatch(/\bimport\s*\(/);
});

it('allows exactly the methods of the API contract', () => {
  const list = /const METHOD_NAMES = \[([\s\S]*?)\]/.exec(source);
  expect(list).not.toBeNull();
  const names = [...list![1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
  expect([...names].sort()).toEqual([...METHOD_NAMES].sort());
});
