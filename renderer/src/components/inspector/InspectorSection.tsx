// A collapsible inspector section, as Resolve's inspector groups its controls. Which sections are folded is kept
// for the next session, per section, whichever clip is selected.
import { ChevronRight } from 'lucide-react';
import { useState, type ReactNode } from 'react';

const STORAGE_KEY = 'upframe.inspector.folded';

function readFolded(): Set<string> {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return new Set(Array.isArray(saved) ? saved.filter((v): v is string => typeof v === 'string') : []);
  } catch {
    // A hand-edited or corrupt entry only costs the remembered folding.
    return new Set();
  }
}

export function InspectorSection({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  const [open, setOpen] = useState(() => !readFolded().has(id));
  const toggle = () => {
    const folded = readFolded();
    if (open) folded.add(id);
    else folded.delete(id);
    localStorage.setItem(STORAGE_KEY, JSON.stringify([...folded]));
    setOpen(!open);
  };
  return (
    <section className={`inspector-section ${open ? 'open' : ''}`} data-testid={`inspector-section-${id}`} data-open={open}>
      <button type="button" className="inspector-section-head" aria-expanded={open} onClick={toggle} data-testid={`inspector-section-toggle-${id}`}>
        <ChevronRight size={13} className="inspector-section-chevron" aria-hidden />
        {title}
      </button>
      {open && <div className="inspector-section-body">{children}</div>}
    </section>
  );
}
