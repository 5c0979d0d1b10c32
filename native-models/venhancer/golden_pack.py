"""A tiny VEnhancer pack exported from the part-1 PyTorch modules, for the engine's golden test
(tests/integration/venhancer-golden.test.ts): the engine runs its ONNX graphs, reference_loop.py runs the same
modules in PyTorch, and the two must agree.

    /usr/bin/python3 -m venhancer.golden_pack OUT_DIR      (cwd: native-models)

Writes OUT_DIR/pack (a schemaVersion 2 pack: text encoder, VAE encoder and decoder, denoiser, all float32) and
OUT_DIR/weights.pt (the modules' configs and state dicts, for reference_loop.py).

- denoiser: fixture-a's configuration and its seeded random weights (every parameter live, the ControlNet included;
  tests/fixtures/venhancer/fixture-a.pt), latent h = 2 (mod 4), w = 0 (mod 4);
- VAE: the SVD temporal VAE at 4 levels of 32 channels (so 8x downscale and 4 latent channels, as the real one),
  seeded default initialisation;
- text: an OpenCLIP tower of width 1024 (the denoiser's context size), 2 layers, over the tiny test pack's
  tokenizer (its vocabulary is small, so the embedding table is too).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys

import torch

from .denoiser import build_denoiser
from .denoiser_onnx import export_denoiser_onnx
from .onnx_export import export_onnx
from .text import TextEncoderOnnx, build_text_tower
from .vae import build_vae, export_vae_decoder_onnx, export_vae_encoder_onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURE_A = os.path.join(ROOT, "tests", "fixtures", "venhancer", "fixture-a.pt")
TINY_PACK = os.path.join(ROOT, "native-models", "packs", "tiny-venhancer-test")

VAE_CONFIG = {"block_out_channels": [32, 32, 32, 32], "layers_per_block": 1, "latent_channels": 4,
              "scaling_factor": 0.18215}


def _load(path):
    # fixture-a.pt holds plain dicts and strings beside its tensors, which torch 1.13's weights_only loader refuses;
    # it is the project's own committed fixture.
    return torch.load(path, map_location="cpu")


def build_modules():
    fixture = _load(FIXTURE_A)
    denoiser = build_denoiser(fixture["config"])
    denoiser.load_state_dict({k: v.float() for k, v in fixture["state_dict"].items()}, strict=True)
    torch.manual_seed(20260906)
    vae = build_vae(VAE_CONFIG)
    with open(os.path.join(TINY_PACK, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    vocab = max(list(tokenizer["model"]["vocab"].values()) + [t["id"] for t in tokenizer["added_tokens"]]) + 1
    text_config = {"embed_dim": 1024, "mlp_ratio": 1.0,
                   "text_cfg": {"context_length": 77, "vocab_size": vocab, "width": 1024, "heads": 16, "layers": 2}}
    text = build_text_tower(text_config)
    return {"denoiser": denoiser, "denoiser_config": fixture["config"], "vae": vae, "vae_config": VAE_CONFIG,
            "text": text, "text_config": text_config}


def export_text_encoder(tower, path):
    """As text.export_text_encoder_onnx, traced on ids inside the tiny vocabulary (that one traces on CLIP's
    start and end ids, which the tiny tokenizer does not have)."""
    tokens = torch.zeros(1, tower.context_length, dtype=torch.int64)
    tokens[0, 0], tokens[0, 1] = 0, 1
    return export_onnx(TextEncoderOnnx(tower), (tokens,), path, input_names=["input_ids"], output_names=["hidden"],
                       dynamic_axes={"input_ids": {0: "B"}, "hidden": {0: "B"}}, fp16=False, external_data=False)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_golden(out_dir):
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    modules = build_modules()
    pack = os.path.join(out_dir, "pack")
    os.makedirs(pack, exist_ok=True)
    export_text_encoder(modules["text"], os.path.join(pack, "text_encoder.onnx"))
    export_vae_encoder_onnx(modules["vae"], os.path.join(pack, "vae_encoder.onnx"), external_data=False)
    export_vae_decoder_onnx(modules["vae"], os.path.join(pack, "vae_decoder.onnx"), external_data=False)
    export_denoiser_onnx(modules["denoiser"], os.path.join(pack, "denoiser.onnx"), fp16=False, external_data=False)
    shutil.copyfile(os.path.join(TINY_PACK, "tokenizer.json"), os.path.join(pack, "tokenizer.json"))
    write_manifest(pack)
    torch.save({
        "denoiser_config": modules["denoiser_config"], "denoiser": modules["denoiser"].state_dict(),
        "vae_config": modules["vae_config"], "vae": modules["vae"].state_dict(),
        "text_config": modules["text_config"], "text": modules["text"].state_dict(),
    }, os.path.join(out_dir, "weights.pt"))
    return pack


def graph_spec(pack, name):
    """The manifest's spec of one exported graph, read from the graph itself (names, dtypes, fixed and symbolic
    dims exactly as torch wrote them)."""
    import onnx

    model = onnx.load(os.path.join(pack, name), load_external_data=False)
    dtypes = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.FLOAT16: "float16", onnx.TensorProto.INT64: "int64"}

    def tensors(values):
        out = []
        for value in values:
            kind = value.type.tensor_type
            shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in kind.shape.dim]
            out.append({"name": value.name, "dtype": dtypes[kind.elem_type], "shape": shape})
        return out

    initializers = {i.name for i in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in initializers]
    return {"file": name, "inputs": tensors(inputs), "outputs": tensors(model.graph.output)}


def write_manifest(pack):
    with open(os.path.join(TINY_PACK, "manifest.json"), encoding="utf-8") as f:
        tiny = json.load(f)
    manifest = {
        "schemaVersion": 2,
        "name": "golden-venhancer-test",
        "version": "1.0.0",
        "license": "MIT",
        "family": "tiny-test",
        "testPack": True,
        "description": "Tiny pack exported from the VEnhancer PyTorch modules with seeded random weights, for the "
                       "engine's golden test against the Python reference loop; does not enhance.",
        "files": [],
        "graphs": {role: graph_spec(pack, role + ".onnx")
                   for role in ("text_encoder", "vae_encoder", "vae_decoder", "denoiser")},
        "latent": {"channels": 4, "downscale": 8, "scalingFactor": VAE_CONFIG["scaling_factor"]},
        "schedule": tiny["schedule"],
        "sampler": tiny["sampler"],
        # The reference's pad_to_fit shape at a 48x64 working size, for a 2-level UNet: centred below it, above it
        # height = 16 (mod 32) and width = 0 (mod 32), so the latent is h = 2 (mod 4), w = 0 (mod 4).
        "resolution": {"areaMin": 1, "areaMax": 1048576, "pad": {
            "value": 1,
            "height": {"min": 48, "addend": 15, "multiple": 32, "offset": 16},
            "width": {"min": 64, "addend": 31, "multiple": 32, "offset": 0}}},
        # Short chunks so that a 13-frame clip is denoised in two overlapping chunks.
        "temporalChunk": {"maxFrames": 8, "lengthBase": 7, "overlapBase": 3, "stretch": 1.33},
        # Small decode tiles so that the spatial Gaussian blend and the temporal cross-fade both run.
        "decode": {"temporalChunk": 5, "temporalOverlap": 2, "tileH": 4, "tileW": 6, "overlapH": 2, "overlapW": 2,
                   "gaussianVar": 0.02},
        "text": tiny["text"],
        "defaults": tiny["defaults"],
        "supports": tiny["supports"],
    }
    files = []
    for name in sorted(os.listdir(pack)):
        if name == "manifest.json":
            continue
        path = os.path.join(pack, name)
        role = "graph" if name.endswith(".onnx") else "tokenizer" if name == "tokenizer.json" else "external-data"
        files.append({"path": name, "sha256": _sha256(path), "size": os.path.getsize(path), "role": role})
    manifest["files"] = files
    with open(os.path.join(pack, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python3 -m venhancer.golden_pack OUT_DIR", file=sys.stderr)
        sys.exit(2)
    print(write_golden(sys.argv[1]))
