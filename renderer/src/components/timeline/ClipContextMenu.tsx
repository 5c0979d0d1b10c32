// The clip menu (right-click on a clip), as in Resolve: split at the playhead, delete, ripple delete, apply an
// enhancement preset, reveal the clip's media in the pool, relink it. One menu for the whole timeline (not one per
// clip, so a thousand clips cost nothing): the clip under the pointer is found when the menu opens, and becomes the
// selection unless it is already part of it, so every item acts on what is selected.
import * as ContextMenu from '@radix-ui/react-context-menu';
import { ChevronRight } from 'lucide-react';
import { useState, type ReactNode } from 'react';
import type { Clip, ProjectState } from '../../../../main/common/model';
import { useStore } from '../../lib/store';
import { usePresets } from '../../state/clip-settings';
import { editorStore, playheadStore, revealMedia, selectOnly } from '../../state/editor';
import { openRelinkBrowser } from '../../state/importer';
import { presetUnavailableReason } from '../inspector/pack-availability';
import { useApplyPreset } from '../inspector/PresetBar';
import type { EditorCommands } from '../useEditorCommands';

const clipEnd = (c: Clip) => c.start + c.sourceOut - c.sourceIn;

export function ClipContextMenu({ state, commands, children }: { state: ProjectState; commands: EditorCommands; children: ReactNode }) {
  const [clipId, setClipId] = useState<number | null>(null);
  const selection = useStore(editorStore, (s) => s.selection);
  const presets = usePresets();
  const applyPreset = useApplyPreset();
  const clip = clipId === null ? undefined : state.clips.find((c) => c.id === clipId);
  const media = clip ? state.media.find((m) => m.id === clip.mediaId) : undefined;
  const selected = state.clips.filter((c) => selection.has(c.id));
  const count = selected.length;
  const playhead = playheadStore.get().frame;
  // A locked track's clips can be looked at and given presets, not cut or removed (the host refuses those edits).
  const locked = selected.some((c) => state.tracks.find((t) => t.id === c.trackId)?.locked);
  const canSplit = !locked && selected.some((c) => c.start < playhead && playhead < clipEnd(c));
  const clipsText = count > 1 ? ` ${count} clips` : '';

  return (
    <ContextMenu.Root onOpenChange={(open) => !open && setClipId(null)}>
      <ContextMenu.Trigger
        asChild
        onContextMenu={(e) => {
          const el = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="clip"]');
          const id = el ? Number(el.dataset.clipId) : null;
          // Right-click outside a clip opens no menu: the timeline has no item of its own.
          if (id === null) {
            e.preventDefault();
            return;
          }
          if (!editorStore.get().selection.has(id)) selectOnly([id]);
          setClipId(id);
        }}
      >
        {children}
      </ContextMenu.Trigger>
      <ContextMenu.Portal>
        {clip && (
          <ContextMenu.Content className="menu" data-testid="clip-menu" data-clip-id={clip.id}>
            <ContextMenu.Label className="menu-label">{count > 1 ? `${count} clips` : (media?.name ?? `Clip ${clip.id}`)}</ContextMenu.Label>
            <ContextMenu.Item className="menu-item" disabled={!canSplit} onSelect={commands.split} data-testid="clip-menu-split">
              Split at playhead<span className="menu-key">S</span>
            </ContextMenu.Item>
            {locked && <ContextMenu.Label className="menu-label menu-note">On a locked track: unlock it to cut or delete</ContextMenu.Label>}
            <ContextMenu.Item className="menu-item" disabled={locked} onSelect={() => commands.deleteSelected(false)} data-testid="clip-menu-delete">
              Delete{clipsText}
              <span className="menu-key">Del</span>
            </ContextMenu.Item>
            <ContextMenu.Item className="menu-item" disabled={locked} onSelect={() => commands.deleteSelected(true)} data-testid="clip-menu-ripple">
              Ripple delete{clipsText}
              <span className="menu-key">Shift+Del</span>
            </ContextMenu.Item>
            <ContextMenu.Separator className="menu-separator" />
            <ContextMenu.Sub>
              <ContextMenu.SubTrigger className="menu-item" data-testid="clip-menu-presets">
                Apply preset <ChevronRight size={12} className="menu-key" aria-hidden />
              </ContextMenu.SubTrigger>
              <ContextMenu.Portal>
                <ContextMenu.SubContent className="menu" data-testid="clip-menu-preset-list">
                  {(presets.data ?? []).map((preset) => {
                    const reason = presetUnavailableReason(preset, applyPreset.packs);
                    return (
                      <ContextMenu.Item
                        key={preset.id}
                        className="menu-item"
                        disabled={reason !== null}
                        title={reason ?? undefined}
                        onSelect={() => applyPreset.apply(preset, selected, state)}
                        data-testid="clip-menu-preset"
                      >
                        {preset.name}
                        {reason ? ' — needs a model pack' : ''}
                      </ContextMenu.Item>
                    );
                  })}
                  {presets.isPending && <ContextMenu.Label className="menu-label">Loading presets…</ContextMenu.Label>}
                </ContextMenu.SubContent>
              </ContextMenu.Portal>
            </ContextMenu.Sub>
            <ContextMenu.Separator className="menu-separator" />
            <ContextMenu.Item className="menu-item" disabled={!media} onSelect={() => media && revealMedia(media.id)} data-testid="clip-menu-reveal">
              Reveal in media pool
            </ContextMenu.Item>
            <ContextMenu.Item
              className="menu-item"
              disabled={!media}
              onSelect={() => media && openRelinkBrowser(media.id, media.name)}
              data-testid="clip-menu-relink"
            >
              {media?.offline ? 'Relink offline media…' : 'Relink media…'}
            </ContextMenu.Item>
          </ContextMenu.Content>
        )}
      </ContextMenu.Portal>
    </ContextMenu.Root>
  );
}
