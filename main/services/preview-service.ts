// Preview, render status, chunk cache, presets and estimates (issue 4). Placeholder until implemented.
import { ApiError } from '../common/api';
import type { Handlers, ServiceContext } from './context';

type PreviewMethods =
  | 'clip.estimate'
  | 'presets.list'
  | 'presets.save'
  | 'presets.remove'
  | 'preview.start'
  | 'preview.get'
  | 'preview.cancel'
  | 'render.status'
  | 'cache.info'
  | 'cache.clear'
  | 'cache.setLimit';

export function previewHandlers(ctx: ServiceContext): Pick<Handlers, PreviewMethods> {
  void ctx;
  const todo = async (): Promise<never> => {
    throw new ApiError('INTERNAL', 'Not implemented yet.');
  };
  return {
    'clip.estimate': todo,
    'presets.list': todo,
    'presets.save': todo,
    'presets.remove': todo,
    'preview.start': todo,
    'preview.get': todo,
    'preview.cancel': todo,
    'render.status': todo,
    'cache.info': todo,
    'cache.clear': todo,
    'cache.setLimit': todo,
  };
}
