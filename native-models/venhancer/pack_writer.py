"""The torch side of the exporter (run in the worker process of export_pack.py): builds each model, loads the
released weights strictly (or keeps random ones), exports its graph, writes the tokenizer and the manifest."""

import gc
import hashlib
import inspect
import json
import os
import shutil

import torch

from venhancer import checkpoints

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures", "venhancer")
VOCAB_NAME = "bpe_simple_vocab_16e6.txt.gz"

# Parameters of the full-size models (from the reference key lists), for the resource check when a model cannot be
# built on the meta device.
FULL_SIZE_PARAMETERS = {"denoiser": 2_044_809_796, "text_encoder": 354_032_641, "vae_encoder": 34_163_664, "vae_decoder": 63_579_183}

LAYOUTS = {
    ("denoiser", "x"): "BCFHW",
    ("denoiser", "hint"): "BCFHW",
    ("denoiser", "v"): "BCFHW",
    ("vae_encoder", "image"): "NCHW",
    ("vae_encoder", "moments"): "NCHW",
    ("vae_decoder", "latent"): "NCHW",
    ("vae_decoder", "image"): "NCHW",
}

ONNX_DTYPES = {1: "float32", 10: "float16", 7: "int64", 6: "int32"}


class ResourceError(Exception):
    pass


def call(fn, *args, **kwargs):
    """Calls ``fn`` with only the keyword arguments its signature takes (the model modules' options differ)."""
    params = inspect.signature(fn).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def parameter_count(state):
    return sum(int(v.numel()) for v in state.values())


# --------------------------------------------------------------------------------------------------------------------
# The three model families, each: build (with a config or the full size), the released file to load, export.


def _tiny_configs(args):
    if not args.tiny:
        return {}
    with open(args.tiny, encoding="utf-8") as f:
        return json.load(f)


def build(kind, config, device, dtype=torch.float32, empty=False):
    """``empty``: no initialisation (the weights are loaded next), where the module supports it."""
    if kind == "denoiser":
        from venhancer.denoiser import build_denoiser

        return call(build_denoiser, config=config, device=device, dtype=dtype, empty=empty)
    if kind == "vae":
        from venhancer.vae import build_vae

        return call(build_vae, config=config, device=device, dtype=dtype)
    if kind == "text":
        from venhancer.text import build_text_tower

        return call(build_text_tower, config=config, device=device, dtype=dtype)
    raise ValueError(kind)


def meta_parameter_counts(configs):
    """Parameters per graph, from models built on the meta device (no memory), or the full-size figures."""
    counts = dict(FULL_SIZE_PARAMETERS)
    for kind, graphs in (("denoiser", ("denoiser",)), ("vae", ("vae_encoder", "vae_decoder")), ("text", ("text_encoder",))):
        try:
            model = build(kind, configs.get(kind), "meta")
        except Exception:  # a module that cannot be built on meta: keep the full-size figure
            continue
        state = model.state_dict()
        if kind == "vae":
            counts["vae_encoder"] = sum(int(v.numel()) for k, v in state.items() if not k.startswith("decoder."))
            counts["vae_decoder"] = sum(int(v.numel()) for k, v in state.items() if k.startswith("decoder."))
        else:
            counts[graphs[0]] = parameter_count(state)
        del model
    return counts


def check_resources(args, staging, counts, report):
    weight_bytes = 4 if args.fp32 else 2
    total = sum(counts.values())
    largest = max(counts.values())
    # The pack itself, plus the fp32 intermediate of the largest graph before its weights become fp16.
    disk = int(total * weight_bytes * 1.05 + largest * 4 + 200e6)
    input_bytes = max((os.path.getsize(p) for p in (args.checkpoint, args.clip) if p), default=0)
    # The fp32 model and torch.onnx.export's copy of its weights (measured: 16.4 GB resident while tracing the
    # full-size denoiser, twice its 8.2 GB of fp32 weights); while loading, the model and the file's tensors.
    memory = int(max(largest * 4 * 2.0, largest * 4 + input_bytes) + 1e9)
    free_disk = shutil.disk_usage(staging).free
    from venhancer.export_pack import free_memory_bytes

    available = free_memory_bytes()
    report.emit("needs", diskBytes=disk, memoryBytes=memory, freeDiskBytes=free_disk, availableMemoryBytes=available)
    if args.skip_resource_check:
        return
    if free_disk < disk:
        raise ResourceError(
            f"Not enough disk space in {os.path.dirname(staging)}: the export needs {disk / 1e9:.1f} GB and "
            f"{free_disk / 1e9:.1f} GB is free. Free some space or choose another output folder."
        )
    if available is not None and available < memory:
        raise ResourceError(
            f"Not enough memory: the export needs about {memory / 1e9:.1f} GB and {available / 1e9:.1f} GB is available "
            "(RAM + free swap). Close other programs or add swap, then retry."
        )


# --------------------------------------------------------------------------------------------------------------------
# Graph export


def _export_denoiser(model, path, fp16):
    from venhancer.denoiser import export_denoiser_onnx

    call(export_denoiser_onnx, model, path, fp16=fp16, external_data=True)


def _export_vae_encoder(model, path, fp16):
    from venhancer.vae import export_vae_encoder_onnx

    call(export_vae_encoder_onnx, model, path, fp16=fp16, external_data=True)


def _export_vae_decoder(model, path, fp16):
    from venhancer.vae import export_vae_decoder_onnx

    call(export_vae_decoder_onnx, model, path, fp16=fp16, external_data=True)


def _export_text(model, path, fp16):
    from venhancer.text import export_text_encoder_onnx

    call(export_text_encoder_onnx, model, path, fp16=fp16, external_data=True)


def export_graph(role, model, staging, fp16):
    """Exports into a folder of its own, then moves the graph and its external data into the pack, refusing name
    clashes between graphs. Returns the pack-relative paths (graph first)."""
    work = os.path.join(staging, f".{role}")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, f"{role}.onnx")
    {"denoiser": _export_denoiser, "vae_encoder": _export_vae_encoder, "vae_decoder": _export_vae_decoder, "text_encoder": _export_text}[
        role
    ](model, path, fp16)
    data = external_data_files(path)
    produced = sorted(os.listdir(work))
    unexpected = [n for n in produced if n != f"{role}.onnx" and n not in data]
    for name in unexpected:  # e.g. an fp32 intermediate the exporter left behind
        _remove(os.path.join(work, name))
    moved = []
    for name in [f"{role}.onnx"] + sorted(data):
        to = os.path.join(staging, name)
        if os.path.exists(to):
            raise RuntimeError(f"{role}: external data file {name} clashes with another graph's file")
        os.rename(os.path.join(work, name), to)
        moved.append(name)
    os.rmdir(work)
    return moved


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def external_data_files(path):
    """Locations of the external data a graph refers to (initializers and Constant tensors)."""
    import onnx

    model = onnx.load(path, load_external_data=False)
    locations = set()

    def visit(graph):
        tensors = list(graph.initializer)
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    tensors.append(attr.t)
                tensors.extend(attr.tensors)
                if attr.HasField("g"):
                    visit(attr.g)
                for g in attr.graphs:
                    visit(g)
        for tensor in tensors:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                for entry in tensor.external_data:
                    if entry.key == "location":
                        locations.add(entry.value)

    visit(model.graph)
    for loc in locations:
        if os.path.isabs(loc) or ".." in loc.replace("\\", "/").split("/") or "/" in loc:
            raise RuntimeError(f"{path}: external data location {loc!r} is not a file beside the graph")
    return locations


def graph_spec(role, path):
    """The manifest's description of a graph, read from the ONNX file itself."""
    import onnx

    model = onnx.load(path, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}

    def tensor(value):
        t = value.type.tensor_type
        dtype = ONNX_DTYPES.get(t.elem_type)
        if dtype is None:
            raise RuntimeError(f"{role}: {value.name} has ONNX element type {t.elem_type}, which the engine does not feed")
        shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim]
        spec = {"name": value.name, "dtype": dtype, "shape": shape}
        layout = LAYOUTS.get((role, value.name))
        if layout:
            spec["layout"] = layout
        return spec

    return {
        "file": os.path.basename(path),
        "inputs": [tensor(v) for v in model.graph.input if v.name not in initializers],
        "outputs": [tensor(v) for v in model.graph.output],
    }


def sha256_file(path, progress=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(8 << 20)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------------------------


def find_vocab():
    for folder in (HERE, REPO_FIXTURES):
        path = os.path.join(folder, VOCAB_NAME)
        if os.path.isfile(path):
            return path
    raise RuntimeError(f"{VOCAB_NAME} (OpenAI CLIP's BPE vocabulary) is missing from {HERE}: reinstall Upframe.")


def pack_identity(args):
    if args.tiny:
        return args.name or "venhancer-tiny", "tiny-test", True, "Tiny VEnhancer-architecture pack with random weights (tests)."
    if args.random_weights:
        return (
            args.name or "venhancer-random-weights",
            "venhancer",
            True,
            "Full-size VEnhancer architecture with random weights: proves the export and the engine, does not enhance.",
        )
    stem = os.path.splitext(os.path.basename(args.checkpoint))[0].lower().replace("_", "-")
    name = args.name or (stem if stem.startswith("venhancer") else f"venhancer-{stem}")
    return (
        "".join(c for c in name if c.isalnum() or c in "._-"),
        "venhancer",
        False,
        f"VEnhancer ({os.path.basename(args.checkpoint)}): generative space-time video super-resolution, with the Stable "
        "Video Diffusion VAE and the OpenCLIP ViT-H/14 text encoder.",
    )


def export(args, staging, report, progress_class):
    configs = _tiny_configs(args)
    fp16 = not args.fp32

    # Cheap refusals first, before any long work: truncated zip archives, the VAE's architecture and weight file.
    for path, what in ((args.checkpoint, checkpoints.VENHANCER_WHAT), (args.clip, checkpoints.CLIP_WHAT)):
        if path:
            checkpoints.precheck_torch_file(path, what)
    vae_config = None
    if args.vae:
        vae_config = checkpoints.precheck_vae_folder(args.vae, _expected_vae_arch(configs.get("vae")))
    counts = meta_parameter_counts(configs)
    check_resources(args, staging, counts, report)

    weights = {g: counts[g] for g in GRAPH_ORDER_WITH_TOKENIZER if g in counts}
    weights["tokenizer"] = max(1, sum(counts.values()) // 1000)
    weights["manifest"] = max(1, sum(counts.values()) // 50)
    progress = progress_class(report, weights)
    files = []
    graphs = {}
    index = 0

    # Denoiser (the largest and the likeliest to be refused) first.
    progress.start_graph("denoiser", index, "building the UNet and ControlNet")
    model = build("denoiser", configs.get("denoiser"), "cpu", empty=bool(args.checkpoint))
    if args.checkpoint:
        progress.step(f"reading {os.path.basename(args.checkpoint)}")
        state = checkpoints.load_venhancer_checkpoint(args.checkpoint, model.state_dict())
        model.load_state_dict(state, strict=True)
        del state
        gc.collect()
    model.eval()
    progress.step("exporting the denoiser graph")
    files += export_graph("denoiser", model, staging, fp16)
    graphs["denoiser"] = graph_spec("denoiser", os.path.join(staging, "denoiser.onnx"))
    del model
    gc.collect()
    progress.finish_graph()
    index += 1

    progress.start_graph("text_encoder", index, "building the OpenCLIP text tower")
    model = build("text", configs.get("text"), "cpu")
    if args.clip:
        progress.step(f"reading {os.path.basename(args.clip)}")
        state = checkpoints.load_clip_text(args.clip, model.state_dict())
        model.load_state_dict(state, strict=True)
        del state
        gc.collect()
    model.eval()
    progress.step("exporting the text encoder graph")
    files += export_graph("text_encoder", model, staging, fp16)
    graphs["text_encoder"] = graph_spec("text_encoder", os.path.join(staging, "text_encoder.onnx"))
    del model
    gc.collect()
    progress.finish_graph()
    index += 1

    progress.start_graph("vae_encoder", index, "building the SVD VAE")
    model = build("vae", configs.get("vae"), "cpu")
    if args.vae:
        progress.step(f"reading the VAE weights in {args.vae}")
        _, state = checkpoints.load_vae_folder(args.vae, model.state_dict(), _expected_vae_arch(configs.get("vae")))
        model.load_state_dict(state, strict=True)
        del state
        gc.collect()
    model.eval()
    progress.step("exporting the VAE encoder graph")
    files += export_graph("vae_encoder", model, staging, fp16)
    graphs["vae_encoder"] = graph_spec("vae_encoder", os.path.join(staging, "vae_encoder.onnx"))
    progress.finish_graph()
    index += 1
    progress.start_graph("vae_decoder", index, "exporting the VAE temporal decoder graph")
    files += export_graph("vae_decoder", model, staging, fp16)
    graphs["vae_decoder"] = graph_spec("vae_decoder", os.path.join(staging, "vae_decoder.onnx"))
    del model
    gc.collect()
    progress.finish_graph()
    index += 1

    progress.start_graph("tokenizer", index, "writing tokenizer.json")
    from venhancer.tokenizer import write_tokenizer_json

    write_tokenizer_json(find_vocab(), os.path.join(staging, "tokenizer.json"))
    files.append("tokenizer.json")
    progress.finish_graph()
    index += 1

    progress.start_graph("manifest", index, "hashing the pack's files")
    manifest = build_manifest(args, staging, files, graphs, vae_config, progress)
    with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    progress.finish_graph()
    return 0


GRAPH_ORDER_WITH_TOKENIZER = ("denoiser", "text_encoder", "vae_encoder", "vae_decoder")


def _expected_vae_arch(tiny_vae_config):
    """For a tiny VAE the architecture to accept is its own config; for the real one, the SVD VAE's."""
    if not tiny_vae_config:
        return {"block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D"] * 4}
    keys = ("in_channels", "out_channels", "latent_channels", "layers_per_block", "block_out_channels", "down_block_types")
    return {k: tiny_vae_config[k] for k in keys if k in tiny_vae_config}


def build_manifest(args, staging, files, graphs, vae_config, progress):
    with open(os.path.join(HERE, "reference_defaults.json"), encoding="utf-8") as f:
        ref = json.load(f)
    ref.pop("_comment", None)
    name, family, test_pack, description = pack_identity(args)
    entries = []
    for i, rel in enumerate(files):
        path = os.path.join(staging, rel)
        progress.step(f"sha256 of {rel} ({i + 1}/{len(files)})")
        role = "tokenizer" if rel == "tokenizer.json" else "graph" if rel.endswith(".onnx") else "external-data"
        entries.append({"path": rel, "role": role, "size": os.path.getsize(path), "sha256": sha256_file(path)})
    latent = dict(ref["latent"])
    if vae_config and "scaling_factor" in vae_config:
        latent["scalingFactor"] = float(vae_config["scaling_factor"])
    text_hidden = graphs["text_encoder"]["outputs"][0]["shape"][-1]
    text = dict(ref["text"], tokenizer="tokenizer.json", hiddenSize=text_hidden if isinstance(text_hidden, int) else 1024)
    manifest = {
        "schemaVersion": 2,
        "name": name,
        "version": "1.0.0",
        "license": "The licences of the source weights apply: VEnhancer (Vchitect/VEnhancer), Stable Video Diffusion's VAE "
        "(stabilityai), OpenCLIP ViT-H/14 laion2B (MIT)" if not test_pack else "MIT (random weights)",
        "family": family,
        "testPack": test_pack,
        "description": description,
        "files": entries,
        "graphs": graphs,
        "latent": latent,
        "schedule": ref["schedule"],
        "sampler": ref["sampler"],
        "resolution": ref["resolution"],
        "temporalChunk": ref["temporalChunk"],
        "decode": ref["decode"],
        "text": text,
        "defaults": ref["defaults"],
        "supports": ref["supports"],
        "export": {
            "tool": "native-models/venhancer/export_pack.py",
            "torch": torch.__version__,
            "weights": "random" if args.random_weights else "released",
            "sources": {
                k: os.path.basename(os.path.normpath(v)) for k, v in (("checkpoint", args.checkpoint), ("vae", args.vae), ("clip", args.clip)) if v
            },
        },
    }
    return manifest
