// A short-lived process that opens a tiny ONNX session on each execution provider candidate and reports which
// loaded. It runs apart from the app for the engine's reason: a native provider library may block or crash while it
// loads, and that must cost only this process. Message in: { model, deviceId, providers }; out: ProviderProbeResult.
import * as ort from 'onnxruntime-node';
import { sessionOptionsFor, type ExecutionProvider } from '../engine/pack/providers';

type Request = { model: string; deviceId: number; providers: ExecutionProvider[] };
type Outcome = { provider: ExecutionProvider; loaded: boolean; reason: string | null; ms: number };

/** The first line of onnxruntime's message: the rest is its source location and stack. */
function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].trim().slice(0, 300) || 'the session did not open';
}

async function probe(request: Request): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const provider of request.providers) {
    const started = performance.now();
    try {
      const session = await ort.InferenceSession.create(request.model, sessionOptionsFor(provider, { deviceId: request.deviceId, threads: 1 }));
      await session.release();
      outcomes.push({ provider, loaded: true, reason: null, ms: Math.round(performance.now() - started) });
    } catch (error) {
      outcomes.push({ provider, loaded: false, reason: shortReason(error), ms: Math.round(performance.now() - started) });
    }
  }
  return outcomes;
}

process.once('message', (message) => {
  probe(message as Request).then(
    (outcomes) => process.send!({ outcomes }, () => process.exit(0)),
    (error: unknown) => process.send!({ error: shortReason(error) }, () => process.exit(1)),
  );
});
