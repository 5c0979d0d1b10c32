// The toast area's queue. Every failed call ends up here with its message: errors are shown, never swallowed.
import { createStore } from '../lib/store';

export type ToastAction = { label: string; run: () => void };
export type Toast = { id: number; kind: 'error' | 'info'; title?: string; message: string; action?: ToastAction };

export const toastStore = createStore<{ toasts: Toast[] }>({ toasts: [] });
let nextId = 1;

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

function push(toast: Omit<Toast, 'id'>, ttlMs: number | null): number {
  const id = nextId++;
  toastStore.set((s) => ({ toasts: [...s.toasts.slice(-5), { ...toast, id }] }));
  if (ttlMs !== null) setTimeout(() => dismissToast(id), ttlMs);
  return id;
}

export function showError(err: unknown, title?: string): number {
  console.error(title ?? 'Upframe error', err);
  return push({ kind: 'error', title, message: errorMessage(err) }, 12_000);
}

export function showInfo(message: string, action?: ToastAction, title?: string): number {
  return push({ kind: 'info', title, message, action }, 10_000);
}

export function dismissToast(id: number): void {
  toastStore.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}
