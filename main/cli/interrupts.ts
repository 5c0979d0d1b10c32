// Ctrl+C for the CLI's long commands: the first press (or SIGTERM) asks for a clean stop, a second one stops at
// once. Shared by `upframe enhance` and `upframe render`.

/** Listens for SIGINT and SIGTERM until the returned function is called. */
export function onInterrupt(handlers: { first(): void; again(): void }): () => void {
  let interrupts = 0;
  const listener = () => {
    interrupts += 1;
    if (interrupts === 1) handlers.first();
    else handlers.again();
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
