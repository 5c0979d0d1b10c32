// Export and the render queue (issue 5). Placeholder until implemented.
import { ApiError } from '../common/api';
import type { Handlers, ServiceContext } from './context';

type ExportMethods = 'export.codecs' | 'export.start' | 'export.list' | 'export.pause' | 'export.resume' | 'export.cancel' | 'export.remove';

export function exportHandlers(ctx: ServiceContext): Pick<Handlers, ExportMethods> {
  void ctx;
  const todo = async (): Promise<never> => {
    throw new ApiError('INTERNAL', 'Not implemented yet.');
  };
  return {
    'export.codecs': todo,
    'export.start': todo,
    'export.list': todo,
    'export.pause': todo,
    'export.resume': todo,
    'export.cancel': todo,
    'export.remove': todo,
  };
}
