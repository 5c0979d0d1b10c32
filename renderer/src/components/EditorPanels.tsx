// The edit page's resizable panels (react-resizable-panels): media pool | viewer | inspector on top, the timeline
// below. Dragging a divider resizes; double-click resets; sizes are kept in localStorage, so a reload or another
// project opens with the same layout. The viewer takes what the side panels leave.
import type { ReactNode } from 'react';
import { Group, Panel, Separator, useDefaultLayout } from 'react-resizable-panels';

export const LAYOUT_STORAGE_IDS = { rows: 'upframe.layout.rows', top: 'upframe.layout.top' } as const;

export function EditorPanels({ bin, viewer, side, timeline }: { bin: ReactNode; viewer: ReactNode; side: ReactNode; timeline: ReactNode }) {
  const rows = useDefaultLayout({ id: LAYOUT_STORAGE_IDS.rows, storage: localStorage });
  const top = useDefaultLayout({ id: LAYOUT_STORAGE_IDS.top, storage: localStorage });
  return (
    <Group
      orientation="vertical"
      className="editor-rows"
      id="editor-rows"
      defaultLayout={rows.defaultLayout}
      onLayoutChanged={rows.onLayoutChanged}
      data-testid="editor-rows"
    >
      <Panel id="panel-top" defaultSize="62" minSize={200} className="panel-slot">
        <Group
          orientation="horizontal"
          className="editor-top"
          id="editor-top"
          defaultLayout={top.defaultLayout}
          onLayoutChanged={top.onLayoutChanged}
        >
          <Panel id="panel-bin" defaultSize="20" minSize={170} className="panel-slot" collapsible collapsedSize={0}>
            {bin}
          </Panel>
          <Separator className="resize-handle resize-handle-v" data-testid="resize-bin" />
          <Panel id="panel-viewer" defaultSize="57" minSize={320} className="panel-slot">
            {viewer}
          </Panel>
          <Separator className="resize-handle resize-handle-v" data-testid="resize-side" />
          <Panel id="panel-side" defaultSize="23" minSize={270} className="panel-slot">
            {side}
          </Panel>
        </Group>
      </Panel>
      <Separator className="resize-handle resize-handle-h" data-testid="resize-timeline" />
      <Panel id="panel-timeline" defaultSize="38" minSize={130} className="panel-slot">
        {timeline}
      </Panel>
    </Group>
  );
}
