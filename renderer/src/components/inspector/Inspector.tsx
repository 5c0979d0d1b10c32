// Per-clip enhancement settings. Placeholder until implemented.
export function Inspector() {
  return (
    <section className="inspector" data-testid="inspector">
      <p className="muted small">Select a clip to set its enhancement.</p>
    </section>
  );
}
