/**
 * Reading a run folder's JSON files for the panels, with errors that name the folder and the file (PxpError, so the
 * host can show message + hint). No vscode here: the view models run in unit tests in plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors';

export type Json = Record<string, unknown>;

export const asObject = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
export const asNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function hasFile(dir: string, name: string): boolean {
  return fs.existsSync(path.join(dir, name));
}

/** A JSON object from the run folder; a bad-input error naming the folder when it is missing, cut short or not an object. */
export function readRunJson(dir: string, name: string, hint: string): Json {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw badInput(`${dir} has no ${name}`, hint);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badInput(`${dir}: ${name} is not valid JSON (${(e as Error).message})`, `the file may still be written or cut short; ${hint}`);
  }
  const obj = asObject(value);
  if (!obj) throw badInput(`${dir}: ${name} is not a JSON object`, hint);
  return obj;
}

export function readOptionalRunJson(dir: string, name: string, hint: string): Json | undefined {
  return hasFile(dir, name) ? readRunJson(dir, name, hint) : undefined;
}
