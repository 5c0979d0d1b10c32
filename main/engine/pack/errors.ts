// Errors of pack verification and loading. Each carries a stable code (the UI and CLI act on it) and a message
// that names the pack, the file and what to do.

export type PackErrorCode =
  | 'MANIFEST_INVALID'
  | 'FILE_MISSING'
  | 'FILE_SIZE'
  | 'FILE_HASH'
  | 'NOT_ONNX'
  | 'CONTRACT_MISMATCH'
  | 'PROVIDER_UNAVAILABLE'
  | 'TOKENIZER'
  | 'OPERATOR_UNSUPPORTED';

export class PackError extends Error {
  constructor(
    readonly code: PackErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PackError';
  }
}
