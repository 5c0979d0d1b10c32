// One call to the host, answered as a CallResult, over whichever transport this window has: the preload's
// window.upframe (Electron) or POST /api/call (web host, cookie auth, same origin). Free of zod and React, so the
// entry chunk can send the first request while the editor's code is still loading; client.ts validates errors.
import type { CallResult, MethodInput, MethodName } from '../../../main/common/api';
import type { ErrorCode } from '../../../main/common/api-error';

export async function rawCall<M extends MethodName>(method: M, input: MethodInput<M>): Promise<CallResult<M>> {
  const bridge = window.upframe;
  if (bridge) return (await bridge.call(method, input)) as CallResult<M>;
  let res: Response;
  try {
    res = await fetch('/api/call', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method, input }),
    });
  } catch (err) {
    return failure('INTERNAL', `Cannot reach the Upframe host (${(err as Error).message}). Is it still running?`);
  }
  if (res.status === 401) {
    return failure('FORBIDDEN', 'This page is no longer authorised by the Upframe host (it was restarted?). Open the URL it printed again.');
  }
  // The host answers calls with a CallResult in JSON (200, or 400 for a malformed body); anything else is a
  // transport failure.
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) {
    return failure('INTERNAL', `The Upframe host answered HTTP ${res.status}: ${(await res.text()).trim()}`);
  }
  return (await res.json()) as CallResult<M>;
}

function failure(code: ErrorCode, message: string): { ok: false; error: { code: ErrorCode; message: string } } {
  return { ok: false, error: { code, message } };
}
