// Writes ONNX model files (the ModelProto protobuf) from a plain description of a graph. onnxruntime-node reads
// ONNX but cannot write it, and the converter of the built-in ESRGAN pack runs at set-up on machines without
// Python, so the few messages a feed-forward graph needs are encoded here (onnx.proto field numbers; proto2
// repeated scalars written unpacked, which every protobuf parser accepts). Tests also build their small models
// with it.

export type OnnxElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8';

const ELEM_TYPE: Record<OnnxElemType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, float16: 10 };

export type OnnxAttribute =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string };

export type OnnxNode = {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Operator domain; '' (the default ONNX domain) when absent. */
  domain?: string;
  attributes?: Record<string, OnnxAttribute>;
};

/** An initializer: little-endian raw bytes of `dims` values of `type`. */
export type OnnxInitializer = { name: string; type: OnnxElemType; dims: number[]; raw: Uint8Array };

/** A graph input or output; a string dimension is symbolic (dim_param). */
export type OnnxValueInfo = { name: string; type: OnnxElemType; shape: (number | string)[] };

export type OnnxModel = {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Default-domain opset; 13 unless given. */
  opset?: number;
  /** Extra operator domains, e.g. for a test model that needs an operator no provider has. */
  extraOpsets?: { domain: string; version: number }[];
  producer?: string;
  docString?: string;
  metadata?: Record<string, string>;
};

/** Growable protobuf encoder: only the wire types ONNX needs (varint, 32-bit, length-delimited). */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private current = new Uint8Array(256);
  private pos = 0;
  private total = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.current.length) return;
    this.chunks.push(this.current.subarray(0, this.pos));
    this.current = new Uint8Array(Math.max(256, n));
    this.pos = 0;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.current[this.pos++] = b;
    this.total++;
  }

  varint(value: number | bigint): void {
    // Negative int64 values are written as their 64-bit two's complement, as protobuf does.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): void {
    this.key(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.raw(b);
  }

  bytes(field: number, data: Uint8Array): void {
    this.key(field, 2);
    this.varint(data.length);
    this.raw(data);
  }

  string(field: number, text: string): void {
    this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    build(inner);
    this.bytes(field, inner.finish());
  }

  private raw(data: Uint8Array): void {
    if (data.length > 4096) {
      // Large payloads (weights) are kept by reference instead of copied into the growing buffer.
      this.chunks.push(this.current.subarray(0, this.pos));
      this.chunks.push(data);
      this.current = new Uint8Array(256);
      this.pos = 0;
      this.total += data.length;
      return;
    }
    this.ensure(data.length);
    this.current.set(data, this.pos);
    this.pos += data.length;
    this.total += data.length;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.total);
    let offset = 0;
    for (const chunk of [...this.chunks, this.current.subarray(0, this.pos)]) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  // TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 | dim_param = 2 } } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ELEM_TYPE[info.type]);
      tensor.message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function writeAttribute(w: ProtoWriter, name: string, attr: OnnxAttribute): void {
  // AttributeProto: name = 1, f = 2, i = 3, s = 4, ints = 8, type = 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
  w.string(1, name);
  switch (attr.type) {
    case 'float':
      w.float(2, attr.value);
      w.int(20, 1);
      break;
    case 'int':
      w.int(3, attr.value);
      w.int(20, 2);
      break;
    case 'string':
      w.string(4, attr.value);
      w.int(20, 3);
      break;
    case 'ints':
      for (const v of attr.value) w.int(8, v);
      w.int(20, 7);
      break;
  }
}

/** The serialized ModelProto. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7,
  // opset_import = 8, metadata_props = 14. IR version 8 is read by onnxruntime 1.14 and later.
  w.int(1, 8);
  w.string(2, model.producer ?? 'upframe');
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => {
    // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
    model.nodes.forEach((node, i) =>
      g.message(1, (n) => {
        // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, node.name ?? `${node.op}_${i}`);
        n.string(4, node.op);
        for (const [name, attr] of Object.entries(node.attributes ?? {})) n.message(5, (a) => writeAttribute(a, name, attr));
        if (node.domain) n.string(7, node.domain);
      }),
    );
    g.string(2, model.graphName);
    for (const init of model.initializers) {
      g.message(5, (t) => {
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
        for (const d of init.dims) t.int(1, d);
        t.int(2, ELEM_TYPE[init.type]);
        t.string(8, init.name);
        t.bytes(9, init.raw);
      });
    }
    for (const input of model.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of model.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  const opsets = [{ domain: '', version: model.opset ?? 13 }, ...(model.extraOpsets ?? [])];
  for (const opset of opsets) {
    w.message(8, (o) => {
      // OperatorSetIdProto: domain = 1, version = 2.
      if (opset.domain) o.string(1, opset.domain);
      o.int(2, opset.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}

/** Little-endian bytes of float32 values, for initializers. */
export function float32Raw(values: Float32Array | number[]): Uint8Array {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/** Little-endian bytes of int64 values, for initializers (shapes of Reshape and the like). */
export function int64Raw(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}
