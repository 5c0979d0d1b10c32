// The API the Electron preload exposes on window.upframe (absent in the browser, where the web host is used).
import type { AnyEvent, CallResult, MethodName } from '../../../main/common/api';

export type PreloadBridge = {
  /** Resolves with the transport's CallResult; never rejects for API errors. */
  call(method: MethodName, input: unknown): Promise<CallResult<MethodName>>;
  subscribe(listener: (event: AnyEvent) => void): () => void;
  /** Absolute path of a dropped File (Electron's webUtils.getPathForFile); '' when it has none. */
  getPathForFile(file: File): string;
};

declare global {
  interface Window {
    upframe?: PreloadBridge;
  }
}
