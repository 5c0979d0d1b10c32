// The one entry point both transports use: checks the method name and validates the input with the method's
// schema before any handler runs, and turns every failure into a CallResult error a person can act on.
import { ApiError, Methods, isMethodName, type CallResult, type MethodName } from '../common/api';
import type { Services } from './services';

export async function dispatch(services: Services, method: unknown, input: unknown): Promise<CallResult<any>> {
  if (!isMethodName(method)) {
    return {
      ok: false,
      error: { code: 'BAD_REQUEST', message: `Unknown method ${JSON.stringify(method)}: the app and its host are out of step; reload.` },
    };
  }
  const parsed = Methods[method].input.safeParse(input ?? {});
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`);
    return { ok: false, error: { code: 'BAD_REQUEST', message: `Invalid input for ${method}: ${fields.join('; ')}` } };
  }
  try {
    const handler = services.handlers[method] as (input: unknown) => Promise<unknown>;
    const value = await handler(parsed.data);
    return { ok: true, value } as CallResult<MethodName>;
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.toData() };
    const error = err instanceof Error ? err : new Error(String(err));
    services.log(`${method} failed: ${error.stack ?? error.message}`);
    return { ok: false, error: { code: 'INTERNAL', message: `${method} failed: ${error.message}` } };
  }
}
