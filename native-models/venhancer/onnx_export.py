"""torch -> ONNX (opset 17) with optional fp16 weight storage and external data.

fp16 here means the weights are STORED as float16 (half the file size; the released checkpoints are fp16, so
nothing is lost) and cast to float32 inside the graph: onnxruntime's CPU provider has no float16 Conv/MatMul
kernels on x86, and the VAE is known to overflow in float16 arithmetic. Inputs and outputs stay float32.
"""
from __future__ import annotations

import inspect
import io
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch

OPSET = 17
FP16_MAX = float(np.finfo(np.float16).max)


def _store_weights_fp16(model: onnx.ModelProto) -> int:
    """Replace every float32 initializer with more than one value by a float16 one plus a Cast back to float32.
    Returns the number of converted initializers."""
    graph = model.graph
    casts, converted = [], 0
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        array = numpy_helper.to_array(init)
        if array.size <= 1:
            continue
        finite = array[np.isfinite(array)]
        if finite.size and float(np.abs(finite).max()) > FP16_MAX:
            continue  # would overflow: keep float32
        name = init.name
        stored = numpy_helper.from_array(array.astype(np.float16), name + "__fp16")
        init.CopyFrom(stored)
        casts.append(helper.make_node("Cast", [name + "__fp16"], [name], name=name + "__to_fp32",
                                      to=TensorProto.FLOAT))
        converted += 1
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return converted


def export_onnx(module: torch.nn.Module, args: tuple, path: str, *, input_names, output_names, dynamic_axes,
                fp16: bool = False, external_data: bool = True) -> dict:
    """Trace `module` on `args` and write `path` (and `path + '.data'` with external_data).
    Returns {"graph": path, "external_data": file name or None, "fp16_initializers": count}."""
    module = module.eval()
    buffer = io.BytesIO()
    options = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False  # the TorchScript exporter, whose dynamic_axes this module relies on
    with torch.no_grad():
        torch.onnx.export(
            module, args, buffer, opset_version=OPSET, input_names=list(input_names),
            output_names=list(output_names), dynamic_axes=dynamic_axes, do_constant_folding=True, **options,
        )
    model = onnx.load_from_string(buffer.getvalue())
    del buffer
    converted = _store_weights_fp16(model) if fp16 else 0
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data_name = None
    if external_data:
        data_name = os.path.basename(path) + ".data"
        data_path = os.path.join(os.path.dirname(os.path.abspath(path)), data_name)
        if os.path.exists(data_path):
            os.remove(data_path)  # onnx appends to an existing file
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024)
    else:
        onnx.save_model(model, path)
    return {"graph": path, "external_data": data_name, "fp16_initializers": converted}
