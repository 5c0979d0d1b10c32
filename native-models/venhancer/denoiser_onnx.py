"""ONNX export of the VEnhancer denoiser under the pack contract version 2 (CONTRACT-V2.md).

Graph: inputs x [1,4,F,h,w], t int64 [1], context [1,77,1024], hint [1,4,K,h,w], mask int64 [1,F],
t_hint int64 [1], s_cond int64 [1]; output v [1,4,F,h,w]; opset 17; F, K, h, w dynamic.

fp16=True: float16 inputs x/context/hint and output v, weights stored as float16 initializers (the released
checkpoint is run in float16 by the reference, so nothing is lost), each followed by a Cast to float32: the
arithmetic runs in float32 inside the graph. The reason: torch 1.13 cannot trace float16 convolutions and matmuls
on the CPU, and onnxruntime's CPU provider has no float16 Conv kernel on x86, so a graph computing in float16
could neither be produced nor checked here.

Large graphs: torch writes every tensor over 2 GB of total model size to its own file; the export is made in a
temporary folder, then the tensors are streamed one at a time into a single `<graph>.data` beside the graph
(offsets aligned to 4 KiB), so the export never holds a second copy of the weights in memory.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import torch
import torch.nn as nn

OPSET = 17
INPUT_NAMES = ["x", "t", "context", "hint", "mask", "t_hint", "s_cond"]
OUTPUT_NAMES = ["v"]
DYNAMIC_AXES = {
    "x": {2: "F", 3: "h", 4: "w"},
    "hint": {2: "K", 3: "h", 4: "w"},
    "mask": {1: "F"},
    "v": {2: "F", 3: "h", 4: "w"},
}
_ALIGN = 4096
# Float initializers smaller than this stay float32 when storing fp16: they are the norms' affine terms and
# constants folded at export (e.g. the sinusoid frequencies), which float16 would round visibly.
_FP16_MIN_ELEMENTS = 4096


class DenoiserOnnxWrapper(nn.Module):
    """The contract's input names and order around the reference call. Float inputs are cast to the model's
    dtype and the output to `io_dtype` (float32, or float16 for an fp16 pack's boundary)."""

    def __init__(self, model: nn.Module, io_dtype: torch.dtype = torch.float32):
        super().__init__()
        self.model = model
        self.io_dtype = io_dtype

    def forward(self, x, t, context, hint, mask, t_hint, s_cond):
        dtype = next(self.model.parameters()).dtype
        v = self.model(x.to(dtype), t=t, y=context.to(dtype), hint=hint.to(dtype), mask_cond=mask,
                       s_cond=s_cond, t_hint=t_hint)
        return v.to(self.io_dtype)


def sample_inputs(model: nn.Module, io_dtype: torch.dtype = torch.float32, frames: int = 3, keys: int = 2) -> tuple:
    """Small valid inputs for tracing: latent h = 2^D + 2, w = 2^D (D downsamples), a mask with one inserted frame
    between key frames."""
    cfg = model.config
    d = len(cfg["dim_mult"]) - 1
    h, w = 2 ** d + 2, 2 ** d
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, cfg["in_dim"], frames, h, w, generator=g).to(io_dtype)
    context = torch.randn(1, 77, cfg["context_dim"], generator=g).to(io_dtype)
    hint = torch.randn(1, cfg["in_dim"], keys, h, w, generator=g).to(io_dtype)
    mask = torch.full((1, frames), -1, dtype=torch.int64)
    mask[0, 0], mask[0, frames - 1] = 0, keys - 1
    return (x, torch.tensor([699]), context, hint, mask, torch.tensor([199]), torch.tensor([8]))


def _initializer_array(init, folder: str):
    from onnx import numpy_helper
    from onnx.external_data_helper import uses_external_data

    if uses_external_data(init):
        info = {e.key: e.value for e in init.external_data}
        import numpy as np
        from onnx.mapping import TENSOR_TYPE_TO_NP_TYPE

        dtype = TENSOR_TYPE_TO_NP_TYPE[init.data_type]
        with open(os.path.join(folder, info["location"]), "rb") as f:
            f.seek(int(info.get("offset", 0)))
            raw = f.read(int(info["length"])) if "length" in info else f.read()
        return np.frombuffer(raw, dtype=dtype).reshape(tuple(init.dims))
    return numpy_helper.to_array(init)


def _rewrite(graph_path: str, folder: str, out_path: str, *, fp16: bool, external_data: bool) -> dict:
    """Store weights as float16 (with Casts) if asked, and move all tensors into one external file or inline."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(graph_path, load_external_data=False)
    graph = model.graph
    data_name = os.path.basename(out_path) + ".data"
    data_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), data_name)
    data_file = open(data_path, "wb") if external_data else None
    casts, converted, external_bytes = [], 0, 0
    try:
        for init in graph.initializer:
            array = _initializer_array(init, folder)
            if fp16 and init.data_type == TensorProto.FLOAT and array.size >= _FP16_MIN_ELEMENTS:
                name = init.name
                array = array.astype(np.float16)
                casts.append(helper.make_node("Cast", [name + "__fp16"], [name], name=name + "__to_fp32",
                                              to=TensorProto.FLOAT))
                init_name = name + "__fp16"
                converted += 1
            else:
                init_name = init.name
            tensor = numpy_helper.from_array(np.ascontiguousarray(array), init_name)
            if data_file is not None and array.nbytes >= 1024:
                offset = -(-data_file.tell() // _ALIGN) * _ALIGN
                data_file.seek(offset)
                data_file.write(tensor.raw_data)
                tensor.ClearField("raw_data")
                tensor.data_location = TensorProto.EXTERNAL
                for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(array.nbytes))):
                    entry = tensor.external_data.add()
                    entry.key, entry.value = key, value
                external_bytes += array.nbytes
            init.CopyFrom(tensor)
            del array, tensor
    finally:
        if data_file is not None:
            data_file.close()
    if casts:
        nodes = list(graph.node)
        del graph.node[:]
        graph.node.extend(casts + nodes)
    if not external_data and model.ByteSize() > 2 ** 31 - 1:
        raise ValueError("the graph is over 2 GB: export it with external_data=True")
    onnx.save_model(model, out_path)
    return {"graph": out_path, "external_data": data_name if external_data else None,
            "external_bytes": external_bytes, "fp16_initializers": converted}


def export_denoiser_onnx(model: nn.Module, path: str, *, fp16: bool, external_data: bool) -> dict:
    """Export `model` (a float32 VEnhancerDenoiser with its weights) to `path`. Returns {"graph", "external_data"
    (file name beside the graph or None), "external_bytes", "fp16_initializers", "io_dtype"}."""
    model = model.eval()
    if next(model.parameters()).dtype != torch.float32:
        raise ValueError("export needs the model in float32 (torch cannot trace float16 CPU kernels); "
                         "fp16=True stores the weights as float16")
    io_dtype = torch.float16 if fp16 else torch.float32
    wrapper = DenoiserOnnxWrapper(model, io_dtype).eval()
    args = sample_inputs(model, io_dtype)
    out_dir = os.path.dirname(os.path.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    folder = tempfile.mkdtemp(prefix=".denoiser-export-", dir=out_dir)
    try:
        raw_path = os.path.join(folder, "denoiser.onnx")
        with torch.no_grad():
            torch.onnx.export(wrapper, args, raw_path, opset_version=OPSET, input_names=INPUT_NAMES,
                              output_names=OUTPUT_NAMES, dynamic_axes=DYNAMIC_AXES, do_constant_folding=True)
        result = _rewrite(raw_path, folder, path, fp16=fp16, external_data=external_data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["io_dtype"] = "float16" if fp16 else "float32"
    return result
