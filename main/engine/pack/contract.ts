// The engine's contract with a pack's graphs, version 2 (CONTRACT-V2.md; ENHANCEMENT.md section 6): which graphs and inputs the engine feeds,
// checked statically on the manifest and, once a session is open, against the session's own metadata.
import type { InferenceSession } from 'onnxruntime-node';
import type { GraphSpec, PackManifest, TensorSpec } from './manifest';
import { PackError } from './errors';

export type GraphRole = 'text_encoder' | 'vae_encoder' | 'vae_decoder' | 'denoiser';
export const GRAPH_ROLES: readonly GraphRole[] = ['text_encoder', 'vae_encoder', 'vae_decoder', 'denoiser'];

/** The denoiser's inputs, by the names the engine feeds. */
export const DENOISER_INPUTS = ['x', 't', 'context', 'hint', 'mask', 't_hint', 's_cond'] as const;
/** The denoiser inputs that are integers (torch LongTensors in the reference). */
export const DENOISER_INT64_INPUTS = ['t', 'mask', 't_hint', 's_cond'] as const;

/** The manifest schema version this engine runs. */
export const PACK_SCHEMA_VERSION = 2;

export function packId(manifest: Pick<PackManifest, 'name' | 'version'>): string {
  return `${manifest.name}@${manifest.version}`;
}

/** Checks what the manifest alone can tell: the graphs the engine needs, their input names, and the files. */
export function checkManifestContract(manifest: PackManifest, dir: string): void {
  const where = `Pack ${packId(manifest)} (${dir})`;
  const fail = (message: string): never => {
    throw new PackError('CONTRACT_MISMATCH', `${where}: ${message} Re-export the pack to the engine's contract.`);
  };
  const invalid = (message: string): never => {
    throw new PackError('MANIFEST_INVALID', `${where}: manifest.json is invalid: ${message} Fix the manifest or re-export the pack.`);
  };

  const seen = new Set<string>();
  for (const file of manifest.files) {
    if (!isSafeRelativePath(file.path)) invalid(`files: "${file.path}" must be a relative path inside the pack.`);
    if (seen.has(file.path)) invalid(`files: "${file.path}" is listed twice.`);
    seen.add(file.path);
  }
  const graphs = manifest.graphs as Partial<Record<GraphRole, GraphSpec>>;
  for (const role of GRAPH_ROLES) {
    const graph = graphs[role];
    if (!graph) continue;
    const listed = manifest.files.find((f) => f.path === graph.file);
    if (!listed) invalid(`graphs.${role}.file: "${graph.file}" is not listed in files.`);
    else if (listed.role !== 'graph') invalid(`files: "${graph.file}" is graphs.${role}.file, so its role must be "graph".`);
  }
  if (manifest.text) {
    if (!graphs.text_encoder) invalid('text is set but graphs.text_encoder is missing.');
    if (!manifest.files.some((f) => f.path === manifest.text!.tokenizer)) {
      invalid(`text.tokenizer: "${manifest.text.tokenizer}" is not listed in files.`);
    }
  } else if (graphs.text_encoder) {
    invalid('graphs.text_encoder is set but text is null: give the tokenizer settings in text.');
  }

  const denoiser = manifest.graphs.denoiser;
  const names = denoiser.inputs.map((i) => i.name).sort();
  const expected = [...DENOISER_INPUTS].sort();
  if (names.join(',') !== expected.join(',')) {
    fail(`graphs.denoiser.inputs must be exactly ${DENOISER_INPUTS.join(', ')}; the manifest has ${names.join(', ')}.`);
  }
  // The reference feeds t, t_hint, s_cond and the key-frame mask as torch LongTensors; the float inputs may be
  // float16 or float32 (the runtime converts).
  for (const input of denoiser.inputs) {
    const integer = DENOISER_INT64_INPUTS.includes(input.name as (typeof DENOISER_INT64_INPUTS)[number]);
    if (integer && input.dtype !== 'int64') fail(`graphs.denoiser input "${input.name}" must be int64, not ${input.dtype}.`);
    if (!integer && input.dtype !== 'float32' && input.dtype !== 'float16') {
      fail(`graphs.denoiser input "${input.name}" must be float32 or float16, not ${input.dtype}.`);
    }
  }
  const rank = (name: string) => denoiser.inputs.find((i) => i.name === name)!.shape.length;
  for (const [name, expected] of [['x', 5], ['hint', 5], ['mask', 2], ['t', 1], ['t_hint', 1], ['s_cond', 1], ['context', 3]] as const) {
    if (rank(name) !== expected) fail(`graphs.denoiser input "${name}" must have ${expected} dimensions, the manifest gives ${rank(name)}.`);
  }
  const channels = manifest.latent.channels;
  const fixedChannels = (spec: TensorSpec | undefined): number | null => (spec && typeof spec.shape[1] === 'number' ? spec.shape[1] : null);
  for (const name of ['x', 'hint'] as const) {
    const c = fixedChannels(denoiser.inputs.find((i) => i.name === name));
    if (c !== null && c !== channels) fail(`graphs.denoiser input "${name}" has ${c} channels but latent.channels is ${channels}.`);
  }
  const moments = fixedChannels(manifest.graphs.vae_encoder.outputs[0]);
  if (moments !== null && moments !== 2 * channels) {
    fail(`graphs.vae_encoder must output the posterior moments (mean and log-variance, ${2 * channels} channels), not ${moments} channels.`);
  }
  const decoderIn = fixedChannels(manifest.graphs.vae_decoder.inputs[0]);
  if (decoderIn !== null && decoderIn !== channels) fail(`graphs.vae_decoder takes ${decoderIn} channels but latent.channels is ${channels}.`);
  for (const axis of ['height', 'width'] as const) {
    const rule = manifest.resolution.pad[axis];
    if (rule.min % manifest.latent.downscale !== 0) {
      fail(`resolution.pad.${axis}.min ${rule.min} is not a multiple of the latent downscale ${manifest.latent.downscale}.`);
    }
  }
  if (denoiser.outputs.length !== 1) fail('graphs.denoiser must have exactly one output (the prediction).');
  for (const role of ['vae_encoder', 'vae_decoder', 'text_encoder'] as const) {
    const graph = graphs[role];
    if (graph && (graph.inputs.length !== 1 || graph.outputs.length !== 1)) {
      fail(`graphs.${role} must have exactly one input and one output.`);
    }
  }
  const text = graphs.text_encoder;
  if (text) {
    const ids = text.inputs[0];
    if (ids.dtype !== 'int64' && ids.dtype !== 'int32') fail(`graphs.text_encoder input "${ids.name}" must be int64 or int32 token ids.`);
    const tokens = ids.shape[ids.shape.length - 1];
    if (typeof tokens === 'number' && manifest.text && tokens !== manifest.text.maxTokens) {
      fail(`graphs.text_encoder input "${ids.name}" takes ${tokens} tokens but text.maxTokens is ${manifest.text.maxTokens}.`);
    }
  }
}

/** Compares one graph's manifest spec with the metadata of its opened session. */
export function checkSessionContract(
  manifest: PackManifest,
  role: GraphRole,
  spec: GraphSpec,
  session: Pick<InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>,
): void {
  const where = `Pack ${packId(manifest)}: ${spec.file} (${role})`;
  const what = 'The manifest does not describe this graph: fix graphs.' + role + ' in manifest.json or re-export the pack.';
  const compare = (kind: 'input' | 'output', specs: TensorSpec[], metadata: readonly InferenceSession.ValueMetadata[]) => {
    const actual = new Map(metadata.map((m) => [m.name, m]));
    for (const tensor of specs) {
      const meta = actual.get(tensor.name);
      if (!meta) {
        const names = metadata.map((m) => m.name).join(', ');
        throw new PackError('CONTRACT_MISMATCH', `${where}: the graph has no ${kind} "${tensor.name}" (its ${kind}s: ${names}). ${what}`);
      }
      if (!meta.isTensor) {
        throw new PackError('CONTRACT_MISMATCH', `${where}: ${kind} "${tensor.name}" is not a tensor. ${what}`);
      }
      if (meta.type !== tensor.dtype) {
        throw new PackError(
          'CONTRACT_MISMATCH',
          `${where}: ${kind} "${tensor.name}" has dtype ${meta.type} in the graph, the manifest says ${tensor.dtype}. ${what}`,
        );
      }
      // An empty shape means the graph does not declare one: nothing to compare.
      if (meta.shape.length > 0 && !shapesMatch(tensor.shape, meta.shape)) {
        throw new PackError(
          'CONTRACT_MISMATCH',
          `${where}: ${kind} "${tensor.name}" has shape ${formatShape(meta.shape)} in the graph, the manifest says ${formatShape(tensor.shape)}. ${what}`,
        );
      }
    }
    if (kind === 'input') {
      const declared = new Set(specs.map((s) => s.name));
      const extra = metadata.filter((m) => !declared.has(m.name)).map((m) => m.name);
      if (extra.length > 0) {
        throw new PackError('CONTRACT_MISMATCH', `${where}: the graph needs input(s) ${extra.join(', ')} the manifest does not list. ${what}`);
      }
    }
  };
  compare('input', spec.inputs, session.inputMetadata);
  compare('output', spec.outputs, session.outputMetadata);
}

/** A fixed manifest dim must equal the graph's; a symbolic one must be symbolic in the graph too. */
function shapesMatch(manifest: readonly (number | string)[], graph: readonly (number | string)[]): boolean {
  if (manifest.length !== graph.length) return false;
  return manifest.every((dim, i) => (typeof dim === 'number' ? graph[i] === dim : typeof graph[i] === 'string'));
}

function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'string' ? d || '?' : String(d))).join(', ')}]`;
}

function isSafeRelativePath(p: string): boolean {
  if (p.startsWith('/') || p.startsWith('\\') || /^[a-zA-Z]:/.test(p)) return false;
  return p.split(/[\\/]/).every((part) => part !== '..' && part !== '' && part !== '.');
}
