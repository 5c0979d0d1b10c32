// Calls through the real dispatcher (validation and error mapping included) and a look at what the project file
// really holds, shared by the services integration tests.
import Database from 'better-sqlite3';
import type { CallResult, MethodInput, MethodName, MethodOutput } from '../../main/common/api';
import { dispatch } from '../../main/services/dispatch';
import type { Services } from '../../main/services/services';

/** Calls one method; throws with the API error's code and message when it fails. */
export async function call<M extends MethodName>(services: Services, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = (await dispatch(services, method, input)) as CallResult<M>;
  if (!result.ok) throw new Error(`${method}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Calls one method that must fail; returns its API error. `input` is unchecked so bad input can be sent. */
export async function callError(services: Services, method: MethodName, input: unknown) {
  const result = await dispatch(services, method, input);
  if (result.ok) throw new Error(`${method} was expected to fail but succeeded`);
  return result.error;
}

/** Row count of every table of the project file, read through a separate read-only connection. */
export function rowCounts(projectFile: string): Record<string, number> {
  const db = new Database(projectFile, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}
