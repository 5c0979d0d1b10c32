// The render queue panel. Placeholder until implemented.
export function RenderQueue() {
  return null;
}
