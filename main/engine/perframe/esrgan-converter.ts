// Converts the TensorFlow.js layers models of @upscalerjs/esrgan-thick (x2, x3, x4, x8) into ONNX graphs and
// writes them as one per-frame pack. Runs at set-up (scripts/setup.mjs) in TypeScript rather than Python so that
// every machine that installs the npm package gets the built-in model, with no Python or onnx package needed.
//
// Layer mapping (NHWC Keras -> NCHW ONNX): Conv2D (stride 1, 'same') -> Conv with its kernel [kh, kw, in, out]
// transposed to [out, in, kh, kw] (+ Relu where the layer's activation is relu); Activation relu -> Relu;
// Concatenate on the channel axis -> Concat axis 1; Add -> Add (Sum for more than two); MultiplyBeta -> Mul by
// beta; PixelShuffle<s>x (tf.depthToSpace on NHWC) -> DepthToSpace in DCR mode.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PER_FRAME_KIND, type PerFrameManifest } from '../pack/per-frame-manifest';
import { encodeOnnxModel, float32Raw, type OnnxInitializer, type OnnxNode } from './onnx-writer';

export const ESRGAN_PACK_NAME = 'esrgan-thick';
export const ESRGAN_SCALES = [2, 3, 4, 8] as const;
/** Bump when the conversion changes its output: set-up then converts again. */
export const ESRGAN_CONVERTER_VERSION = 2;

type KerasLayer = {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
};

type LayersModelJson = {
  format: string;
  modelTopology: { model_config: { config: { layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] } } };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] }[];
};

/** Where npm installed the package, or null. */
export function esrganPackageDir(): string | null {
  // The package's "exports" hide package.json from require.resolve, so the node_modules folders are searched.
  for (const dir of require.resolve.paths('@upscalerjs/esrgan-thick') ?? []) {
    const candidate = path.join(dir, '@upscalerjs', 'esrgan-thick');
    if (existsSync(path.join(candidate, 'models', 'x2', 'model.json'))) return candidate;
  }
  return null;
}

/** One scale's ONNX model bytes. */
export async function convertEsrganScale(packageDir: string, scale: number): Promise<Uint8Array> {
  const modelDir = path.join(packageDir, 'models', `x${scale}`);
  const json = JSON.parse(await fs.readFile(path.join(modelDir, 'model.json'), 'utf8')) as LayersModelJson;
  if (json.format !== 'layers-model') throw new Error(`${modelDir}/model.json is a ${json.format}, not a layers model.`);
  const weights = await readWeights(modelDir, json);
  const config = json.modelTopology.model_config.config;
  const inputName = config.input_layers[0][0];
  const outputName = config.output_layers[0][0];

  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const tensorOf = (layer: string) => (layer === inputName ? 'input' : layer === outputName ? 'output' : layer);
  const inboundOf = (layer: KerasLayer) => {
    if (layer.inbound_nodes.length !== 1) throw new Error(`Layer ${layer.name} is used ${layer.inbound_nodes.length} times; shared layers are not supported.`);
    return layer.inbound_nodes[0].map(([name]) => tensorOf(name));
  };
  for (const layer of config.layers) {
    const out = tensorOf(layer.name);
    const c = layer.config;
    switch (layer.class_name) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        const [kh, kw] = c.kernel_size as number[];
        const strides = c.strides as number[];
        const dilation = c.dilation_rate as number[];
        if (strides.some((s) => s !== 1) || dilation.some((d) => d !== 1) || (c.groups ?? 1) !== 1 || c.padding !== 'same') {
          throw new Error(`Conv2D ${layer.name}: only stride 1, dilation 1, one group and 'same' padding are supported.`);
        }
        if (kh % 2 === 0 || kw % 2 === 0) throw new Error(`Conv2D ${layer.name}: even kernel sizes are not supported.`);
        const kernel = weights.get(`${layer.name}/kernel`);
        const bias = weights.get(`${layer.name}/bias`);
        if (!kernel) throw new Error(`Conv2D ${layer.name}: no kernel in the weights.`);
        const [, , inC, outC] = kernel.shape;
        initializers.push({ name: `${layer.name}.weight`, type: 'float32', dims: [outC, inC, kh, kw], raw: float32Raw(hwioToOihw(kernel.data, kh, kw, inC, outC)) });
        const inputs = [...inboundOf(layer), `${layer.name}.weight`];
        if (c.use_bias !== false && bias) {
          initializers.push({ name: `${layer.name}.bias`, type: 'float32', dims: [outC], raw: float32Raw(bias.data) });
          inputs.push(`${layer.name}.bias`);
        }
        const activation = c.activation as string;
        if (activation !== 'linear' && activation !== 'relu') throw new Error(`Conv2D ${layer.name}: activation ${activation} is not supported.`);
        const convOut = activation === 'relu' ? `${layer.name}.conv` : out;
        nodes.push({
          op: 'Conv',
          name: layer.name,
          inputs,
          outputs: [convOut],
          attributes: {
            kernel_shape: { type: 'ints', value: [kh, kw] },
            pads: { type: 'ints', value: [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2] },
            strides: { type: 'ints', value: [1, 1] },
          },
        });
        if (activation === 'relu') nodes.push({ op: 'Relu', name: `${layer.name}.relu`, inputs: [convOut], outputs: [out] });
        break;
      }
      case 'Activation':
        if (c.activation !== 'relu') throw new Error(`Activation ${layer.name}: ${String(c.activation)} is not supported.`);
        nodes.push({ op: 'Relu', name: layer.name, inputs: inboundOf(layer), outputs: [out] });
        break;
      case 'Concatenate':
        if (c.axis !== 3 && c.axis !== -1) throw new Error(`Concatenate ${layer.name}: only the channel axis is supported.`);
        nodes.push({ op: 'Concat', name: layer.name, inputs: inboundOf(layer), outputs: [out], attributes: { axis: { type: 'int', value: 1 } } });
        break;
      case 'Add': {
        const inputs = inboundOf(layer);
        nodes.push({ op: inputs.length === 2 ? 'Add' : 'Sum', name: layer.name, inputs, outputs: [out] });
        break;
      }
      case 'MultiplyBeta': {
        const beta = typeof c.beta === 'number' ? c.beta : 0.2;
        const constant = `${layer.name}.beta`;
        initializers.push({ name: constant, type: 'float32', dims: [], raw: float32Raw([beta]) });
        nodes.push({ op: 'Mul', name: layer.name, inputs: [...inboundOf(layer), constant], outputs: [out] });
        break;
      }
      default: {
        const shuffle = /^PixelShuffle(\d+)x$/.exec(layer.class_name);
        if (!shuffle) throw new Error(`Layer ${layer.name} of class ${layer.class_name} is not supported by the converter.`);
        nodes.push({
          op: 'DepthToSpace',
          name: layer.name,
          inputs: inboundOf(layer),
          outputs: [out],
          attributes: { blocksize: { type: 'int', value: Number(shuffle[1]) }, mode: { type: 'string', value: 'DCR' } },
        });
      }
    }
  }
  return encodeOnnxModel({
    graphName: `esrgan_thick_x${scale}`,
    nodes,
    initializers,
    inputs: [{ name: 'input', type: 'float32', shape: ['N', 3, 'H', 'W'] }],
    outputs: [{ name: 'output', type: 'float32', shape: ['N', 3, 'OH', 'OW'] }],
    producer: 'upframe esrgan-converter',
    docString: `@upscalerjs/esrgan-thick x${scale}, converted from its TensorFlow.js layers model (MIT).`,
  });
}

type Weight = { shape: number[]; data: Float32Array };

async function readWeights(modelDir: string, json: LayersModelJson): Promise<Map<string, Weight>> {
  const out = new Map<string, Weight>();
  for (const group of json.weightsManifest) {
    const buffers = await Promise.all(group.paths.map((p) => fs.readFile(path.join(modelDir, p))));
    const all = Buffer.concat(buffers);
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32' || w.quantization) throw new Error(`Weight ${w.name}: only unquantized float32 weights are supported.`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = all.readFloatLE(offset + i * 4);
      offset += count * 4;
      out.set(w.name, { shape: w.shape, data });
    }
    if (offset !== all.length) throw new Error(`${modelDir}: the weight shards hold ${all.length} bytes, the manifest describes ${offset}.`);
  }
  return out;
}

function hwioToOihw(data: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) out[((o * inC + i) * kh + y) * kw + x] = data[((y * kw + x) * inC + i) * outC + o];
  return out;
}

async function packageVersion(packageDir: string): Promise<string> {
  return (JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Writes the per-frame pack (x2.onnx, x3.onnx, x4.onnx, x8.onnx and manifest.json) into `outDir`, through a
 *  temporary folder renamed into place, so a half-written pack never appears. Returns the pack folder. */
export async function writeEsrganPack(packageDir: string, outDir: string, opts: { log?: (m: string) => void } = {}): Promise<string> {
  const version = await packageVersion(packageDir);
  const temp = `${outDir}.partial-${process.pid}`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp, { recursive: true });
  try {
    const files: PerFrameManifest['files'] = [];
    for (const scale of ESRGAN_SCALES) {
      const bytes = await convertEsrganScale(packageDir, scale);
      const file = `x${scale}.onnx`;
      await fs.writeFile(path.join(temp, file), bytes);
      files.push({ path: file, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), role: 'graph' });
      opts.log?.(`converted x${scale} (${(bytes.length / 2 ** 20).toFixed(1)} MiB)`);
    }
    const manifest: PerFrameManifest & { converter: { from: string; version: number } } = {
      kind: PER_FRAME_KIND,
      schemaVersion: 1,
      name: ESRGAN_PACK_NAME,
      version,
      title: 'ESRGAN (thick)',
      license: 'MIT',
      description:
        'Residual-in-residual dense network super-resolution (idealo image-super-resolution, trained on DIV2K), ' +
        'from the @upscalerjs/esrgan-thick npm package. Sharpens and upscales each frame.',
      testPack: false,
      files,
      models: ESRGAN_SCALES.map((scale) => ({ file: `x${scale}.onnx`, scale })),
      input: { layout: 'NCHW', range: [0, 1], channels: 'RGB' },
      // A 320x180 or 384x216 frame runs as one tile (no overlap recomputed); 1080p as 3 x 6 tiles of ~100 MB each.
      tile: { size: 384, overlap: 24, multipleOf: 1 },
      converter: { from: `@upscalerjs/esrgan-thick@${version}`, version: ESRGAN_CONVERTER_VERSION },
    };
    await fs.writeFile(path.join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.mkdir(path.dirname(outDir), { recursive: true });
    await fs.rename(temp, outDir);
    return outDir;
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/** True when `outDir` holds a pack converted by this converter version from this package version. */
export async function esrganPackIsCurrent(packageDir: string, outDir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(outDir, 'manifest.json'), 'utf8')) as {
      version?: string;
      converter?: { version?: number };
      files?: { path: string; size: number }[];
    };
    if (manifest.version !== (await packageVersion(packageDir)) || manifest.converter?.version !== ESRGAN_CONVERTER_VERSION) return false;
    for (const file of manifest.files ?? []) {
      const stat = await fs.stat(path.join(outDir, file.path)).catch(() => null);
      if (!stat || stat.size !== file.size) return false;
    }
    return true;
  } catch {
    return false;
  }
}
