// Errors the engine host rejects a job with (besides CancelledError from main/engine/types.ts).

/** The engine process exited while a job was running (crash, kill -9, the OOM killer). */
export class EngineCrashedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stage: string,
  ) {
    super(
      `The engine process stopped unexpectedly (${describeExit(exitCode, signal)}) during ${stage}. ` +
        'The job was marked failed; the engine restarts for the next job.' +
        (signal === 'SIGKILL'
          ? ' SIGKILL is also what the system sends when memory runs out: if nobody stopped the engine by hand, ' +
            'try a smaller scale, chunk length or tile size.'
          : ''),
    );
    this.name = 'EngineCrashedError';
  }
}

/** The job failed inside the engine process; `code` says what kind of failure (e.g. a PackError code). */
export class EngineJobError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineJobError';
  }
}

export function describeExit(exitCode: number | null, signal: string | null): string {
  if (signal) return `killed by ${signal}`;
  return exitCode === null ? 'exited' : `exited with code ${exitCode}`;
}
