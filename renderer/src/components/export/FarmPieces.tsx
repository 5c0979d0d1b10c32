// A farm export's pieces (one cell each: waiting, rendering on which worker, done, failed) and the workers
// connected, under its row in the render queue.
import type { FarmStatus } from '../../../../main/common/render-model';

const STATE_LABEL: Record<FarmStatus['pieces'][number]['state'], string> = {
  waiting: 'waiting',
  rendering: 'rendering',
  done: 'done',
  failed: 'failed',
};

export function FarmPieces({ farm }: { farm: FarmStatus }) {
  const rendering = farm.pieces.filter((p) => p.state === 'rendering').length;
  return (
    <div className="farm-pieces" data-testid="farm-pieces">
      <div className="farm-pieces-head muted small">
        Farm {farm.url} · {farm.workers.length} worker(s) connected · {rendering} rendering
      </div>
      <ol className="farm-piece-grid" aria-label="Pieces">
        {farm.pieces.map((piece, index) => (
          <li
            key={index}
            className={`farm-piece farm-piece-${piece.state}`}
            title={`Piece ${index + 1}: ${STATE_LABEL[piece.state]}${piece.worker ? ` on ${piece.worker}` : ''}${piece.state === 'rendering' ? ` (${Math.round(piece.fraction * 100)} %)` : ''}`}
            data-testid="farm-piece"
            data-state={piece.state}
          >
            {piece.state === 'rendering' && <span className="farm-piece-fill" style={{ height: `${Math.round(piece.fraction * 100)}%` }} />}
          </li>
        ))}
      </ol>
      {farm.workers.length > 0 && (
        <ul className="farm-workers small" aria-label="Workers">
          {farm.workers.map((w) => (
            <li key={w.id} data-testid="farm-worker">
              <span className={`farm-worker-dot farm-worker-${w.state}`} aria-hidden /> {w.id} · {w.device} · {w.state} · {w.piecesDone} piece(s)
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
