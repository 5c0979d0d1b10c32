// The renderer's one way to reach the main services. In Electron the preload's window.upframe carries calls over
// IPC; in a browser the local web host carries them over HTTP (POST /api/call, cookie auth, same origin) and
// pushes events over one WebSocket (/api/events) that reconnects with exponential backoff.
import type { AnyEvent, CallResult, MethodName, UpframeApi } from '../../../main/common/api';
import { ApiError, isApiErrorData } from '../../../main/common/api-error';
import { rawCall } from './raw-call';
import type { PreloadBridge } from './window';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

let api: UpframeApi | null = null;

export function hostKind(): 'electron' | 'web' {
  return typeof window !== 'undefined' && window.upframe ? 'electron' : 'web';
}

export function getApi(): UpframeApi {
  if (!api) api = window.upframe ? electronApi(window.upframe) : webApi();
  return api;
}

/** The dropped file's absolute path where the host can know it (Electron); null in a browser. */
export function pathForDroppedFile(file: File): string | null {
  const bridge = window.upframe;
  if (!bridge) return null;
  const p = bridge.getPathForFile(file);
  return p ? p : null;
}

/** The call's value, or its error as an ApiError (validated: the code drives what the UI does). */
export function unwrap<M extends MethodName>(method: M, result: CallResult<M>) {
  if (result.ok) return result.value;
  if (!isApiErrorData(result.error)) throw new ApiError('INTERNAL', `${method}: the host sent an unreadable error.`);
  throw new ApiError(result.error.code, result.error.message);
}

function electronApi(bridge: PreloadBridge): UpframeApi {
  return {
    call: async (method, input) => unwrap(method, await rawCall(method, input)),
    subscribe: (listener) => bridge.subscribe(listener),
  };
}

function webApi(): UpframeApi {
  const listeners = new Set<(event: AnyEvent) => void>();
  const emit = (event: AnyEvent) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        // One broken listener must not starve the others; the error still reaches the console.
        console.error('Upframe event listener failed', err);
      }
    }
  };

  let socket: WebSocket | null = null;
  let retryMs = RECONNECT_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let connectedBefore = false;

  const connect = () => {
    retryTimer = null;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/api/events`);
    socket = ws;
    ws.onopen = () => {
      retryMs = RECONNECT_MIN_MS;
      // Events may have been missed while disconnected: a synthetic change makes every query refetch.
      // revision -1 means "unknown": it is never newer than a snapshot the client holds.
      if (connectedBefore) emit({ event: 'project.changed', payload: { revision: -1 } });
      connectedBefore = true;
    };
    ws.onmessage = (message) => {
      let event: AnyEvent;
      try {
        event = JSON.parse(String(message.data)) as AnyEvent;
      } catch (err) {
        console.error('Upframe: unreadable event from the host', err);
        return;
      }
      emit(event);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (listeners.size === 0) return;
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
    };
  };

  return {
    call: async (method, input) => unwrap(method, await rawCall(method, input)),
    subscribe(listener) {
      listeners.add(listener);
      if (!socket && !retryTimer) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          if (retryTimer) clearTimeout(retryTimer);
          retryTimer = null;
          const ws = socket;
          socket = null;
          connectedBefore = false;
          ws?.close();
        }
      };
    },
  };
}
