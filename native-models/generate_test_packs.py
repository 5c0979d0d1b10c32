#!/usr/bin/python3
"""Generates Upframe's two test model packs (native-models/packs/*), deterministically.

- analytic-test: a pack whose end-to-end output is known in closed form (ENHANCEMENT.md section 5): the VAE is
  SpaceToDepth(2) and its exact inverse, and the denoiser returns the exact v-prediction for a target x0 that
  interpolates the key-frame hints linearly over the frame axis.
- tiny-venhancer-test: the real VEnhancer pack contract (version 2, CONTRACT-V2.md) with tiny random weights (fixed
  seed), a fp16 denoiser, a tiny BPE tokenizer, and a text encoder whose weights are ONNX external data, to exercise
  every input, dtype, the text path and external-data files.
Both follow manifest schemaVersion 2: the VAE encoder outputs posterior moments, the denoiser takes the K key-frame
hint [1, C, K, h, w], the mask int64 [1, F] with global key indices, and int64 t, t_hint, s_cond.

Needs Debian's python3-onnx (1.12) and numpy; run with the system interpreter:
    /usr/bin/python3 native-models/generate_test_packs.py           # writes native-models/packs/
    /usr/bin/python3 native-models/generate_test_packs.py --check   # regenerates into a temp dir and compares
Output is byte for byte reproducible: fixed seeds, no timestamps, sorted JSON keys and file lists.
Tests and the app never need Python: the generated packs are committed.
"""
import argparse
import filecmp
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# onnxruntime 1.30 reads IR versions up to 10; 8 is what onnx 1.12 writes for opset 17.
IR_VERSION = 8
PRODUCER = "upframe-test-pack-generator"

HERE = os.path.dirname(os.path.abspath(__file__))
PACKS_DIR = os.path.join(HERE, "packs")

# The VEnhancer schedule and sampler (ENHANCEMENT.md section 2), used by both test packs.
SCHEDULE = {
    "type": "logsnr_cosine_interp",
    "trainTimesteps": 1000,
    "logsnrMin": -15,
    "logsnrMax": 15,
    "shiftStart": 2,
    "shiftEnd": 4,
    "prediction": "v",
}
# VEnhancer "fast": 899, 799, 699, 599, then 11 evenly spaced from 500 down to 44.5.
FAST_TIMESTEPS = [899, 799, 699, 599] + [round(500 - i * (500 - 44.5) / 10, 2) for i in range(11)]
TEMPORAL_CHUNK_VENHANCER = {"maxFrames": 32, "lengthBase": 31, "overlapBase": 15, "stretch": 1.33}


def sampler(default_cfg, rescale):
    return {
        "solver": "dpmpp_2m_sde",
        "startTimestep": 899,
        "eta": 1,
        "presets": {"fast": {"timesteps": FAST_TIMESTEPS}, "normal": {"steps": 50}},
        "minEvaluations": 1,
        "cfg": {"default": default_cfg, "rescale": rescale},
    }


# ----------------------------------------------------------------------------------------------------------------
# Graph helpers


class GraphBuilder:
    """Collects nodes and initializers with generated, stable names."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.nodes = []
        self.initializers = []
        self.counter = 0

    def name(self, hint):
        self.counter += 1
        return "%s_%s_%d" % (self.prefix, hint, self.counter)

    def const(self, value, dtype=np.float32, hint="c"):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out + "_node", **attrs))
        return out

    def op_to(self, op_type, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output + "_node", **attrs))
        return output


def tensor_info(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


def save_model(graph, path, external_data=None):
    """Writes the graph; with external_data (a file name beside it), large initializers go to that file, the way
    graphs over 2 GB must be stored (the real denoiser is 4.1 GB)."""
    model = helper.make_model(
        graph,
        producer_name=PRODUCER,
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    if external_data:
        data_path = os.path.join(os.path.dirname(path), external_data)
        if os.path.exists(data_path):
            os.remove(data_path)  # onnx appends to an existing data file
        onnx.save_model(
            model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=external_data,
            size_threshold=1024,
        )
        return
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def schedule_alpha_sigma(g, t, spec):
    """alpha(t), sigma(t) of logsnr_cosine_interp, computed in-graph (float32) from the schedule constants."""
    t0 = g.op("Atan", [g.op("Exp", [g.const(-spec["logsnrMax"] / 2.0)])], "t0")
    t1 = g.op("Atan", [g.op("Exp", [g.const(-spec["logsnrMin"] / 2.0)])], "t1")
    tau = g.op("Div", [t, g.const(float(spec["trainTimesteps"] - 1))], "tau")
    angle = g.op("Add", [t0, g.op("Mul", [tau, g.op("Sub", [t1, t0])])], "angle")
    cosine = g.op("Mul", [g.const(-2.0), g.op("Log", [g.op("Tan", [angle])])], "cosine_logsnr")
    # -2 ln(shiftStart^(1-tau) shiftEnd^tau) = -2 ((1 - tau) ln shiftStart + tau ln shiftEnd)
    log_start = g.op("Log", [g.const(float(spec["shiftStart"]))])
    log_end = g.op("Log", [g.const(float(spec["shiftEnd"]))])
    one_minus_tau = g.op("Sub", [g.const(1.0), tau])
    shift = g.op("Add", [g.op("Mul", [one_minus_tau, log_start]), g.op("Mul", [tau, log_end])])
    logsnr = g.op("Sub", [cosine, g.op("Mul", [g.const(2.0), shift])], "logsnr")
    # sigmoid(z) = 1 / (1 + exp(-z)), written out: onnxruntime's Sigmoid kernel is a fast approximation with an
    # absolute error near 1e-8, a 1 % relative error for sigma^2 ~ 1e-6 at t ~ 0, where v = (alpha x - x0) / sigma
    # magnifies it. Exp keeps the relative error at float32 precision.
    one = g.const(1.0)
    alpha = g.op("Sqrt", [g.op("Div", [one, g.op("Add", [one, g.op("Exp", [g.op("Neg", [logsnr])])])])], "alpha")
    sigma = g.op("Sqrt", [g.op("Div", [one, g.op("Add", [one, g.op("Exp", [logsnr])])])], "sigma")
    return alpha, sigma


def keep_inputs_alive(g, value, unused, dtype=np.float32):
    """Adds 0 * sum(input) for inputs the computation ignores, so they stay graph inputs after optimisation."""
    total = None
    for name, is_int in unused:
        s = g.op("ReduceSum", [name], "unused_sum", keepdims=0)
        if is_int:
            s = g.op("Cast", [s], "unused_sum_f", to=TensorProto.FLOAT)
        total = s if total is None else g.op("Add", [total, s])
    zero = g.op("Mul", [total, g.const(0.0, dtype)], "unused_zero")
    return g.op("Add", [value, zero])


# ----------------------------------------------------------------------------------------------------------------
# analytic-test


def analytic_vae_encoder(path):
    """Moments: the mean is SpaceToDepth(2) of the image, the log-variance -1000 (outside the real clamp on purpose):
    exp(-500) times any noise vanishes against the mean in float32, so the posterior sample IS the mean and the
    closed form holds."""
    g = GraphBuilder("enc")
    mean = g.op("SpaceToDepth", ["image"], "mean", blocksize=2)
    logvar = g.op("Add", [g.op("Mul", [mean, g.const(0.0)]), g.const(-1000.0)], "logvar")
    g.op_to("Concat", [mean, logvar], "moments", axis=1)
    graph = helper.make_graph(
        g.nodes, "analytic_vae_encoder",
        [tensor_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [tensor_info("moments", TensorProto.FLOAT, ["N", 24, "h", "w"])],
        g.initializers,
    )
    save_model(graph, path)


def analytic_vae_decoder(path):
    g = GraphBuilder("dec")
    # DCR is the exact inverse of SpaceToDepth's channel order.
    g.op_to("DepthToSpace", ["latent"], "image", blocksize=2, mode="DCR")
    graph = helper.make_graph(
        g.nodes, "analytic_vae_decoder",
        [tensor_info("latent", TensorProto.FLOAT, ["N", 12, "h", "w"])],
        [tensor_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        g.initializers,
    )
    save_model(graph, path)


def interpolation_matrix(g, mask):
    """[F, F] matrix W with x0[f] = sum_g W[f, g] hint[g]: linear interpolation between the nearest key frames at
    or before f and at or after f (c = (f - prev) / (next - prev), c = 0 when prev = next)."""
    big = 1.0e9
    frames = g.op("Shape", [mask], "frames")  # [1] int64
    count = g.op("Squeeze", [frames, g.const([0], np.int64)], "frame_count")
    index_i = g.op("Range", [g.const(0, np.int64), count, g.const(1, np.int64)], "index")
    index = g.op("Cast", [index_i], "index_f", to=TensorProto.FLOAT)
    is_key = g.op("GreaterOrEqual", [mask, g.const(0, np.int64)], "is_key")  # [F] over g
    rows = g.op("Unsqueeze", [index, g.const([1], np.int64)], "rows")  # [F, 1]: f
    cols = g.op("Unsqueeze", [index, g.const([0], np.int64)], "cols")  # [1, F]: g
    key_cols = g.op("Unsqueeze", [is_key, g.const([0], np.int64)], "key_cols")  # [1, F]
    before = g.op("And", [g.op("LessOrEqual", [cols, rows]), key_cols], "key_before")  # [F, F]
    after = g.op("And", [g.op("GreaterOrEqual", [cols, rows]), key_cols], "key_after")
    prev_raw = g.op("ReduceMax", [g.op("Where", [before, cols, g.const(-big)])], "prev_raw", axes=[1], keepdims=1)
    next_raw = g.op("ReduceMin", [g.op("Where", [after, cols, g.const(big)])], "next_raw", axes=[1], keepdims=1)
    # A frame with no key on one side takes the key on the other side (never happens for valid masks).
    has_prev = g.op("Greater", [prev_raw, g.const(-big / 2)])
    has_next = g.op("Less", [next_raw, g.const(big / 2)])
    prev = g.op("Where", [has_prev, prev_raw, next_raw], "prev")  # [F, 1]
    nxt = g.op("Where", [has_next, next_raw, prev], "next")
    span = g.op("Sub", [nxt, prev], "span")
    same = g.op("Equal", [prev, nxt], "same")
    safe_span = g.op("Where", [same, g.const(1.0), span])
    c_raw = g.op("Div", [g.op("Sub", [rows, prev]), safe_span])
    c = g.op("Where", [same, g.const(0.0), c_raw], "c")  # [F, 1]
    at_prev = g.op("Cast", [g.op("Equal", [cols, prev])], "at_prev", to=TensorProto.FLOAT)  # [F, F]
    at_next = g.op("Cast", [g.op("Equal", [cols, nxt])], "at_next", to=TensorProto.FLOAT)
    w_prev = g.op("Mul", [g.op("Sub", [g.const(1.0), c]), at_prev])
    w_next = g.op("Mul", [c, at_next])
    return g.op("Add", [w_prev, w_next], "interp")


def gather_hint_by_mask(g, hint, mask_flat):
    """hint [1, C, K, h, w] gathered to the chunk's frames by the global key index (-1 -> key 0; the caller weights
    or masks inserted frames out), as the reference ControlNet picks hint frames by mask_cond."""
    index = g.op("Max", [mask_flat, g.const(0, np.int64)], "gather_index")
    return g.op("Gather", [hint, index], "hint_frames", axis=2)  # [1, C, F, h, w]


def analytic_denoiser(path, spec):
    g = GraphBuilder("den")
    t = g.op("Cast", ["t"], "t_float", to=TensorProto.FLOAT)
    alpha, sigma = schedule_alpha_sigma(g, t, spec)
    mask = g.op("Squeeze", ["mask", g.const([0], np.int64)], "mask_flat")  # [F]
    weights = interpolation_matrix(g, mask)  # [F, F], nonzero only at key-frame columns
    hint = gather_hint_by_mask(g, "hint", mask)
    # x0[b, c, f, h, w] = sum_g W[f, g] hint[b, c, g, h, w]: move frames last, multiply by W^T, move back.
    hint_last = g.op("Transpose", [hint], "hint_frames_last", perm=[0, 1, 3, 4, 2])
    weights_t = g.op("Transpose", [weights], "interp_t", perm=[1, 0])
    x0_last = g.op("MatMul", [hint_last, weights_t], "x0_frames_last")
    x0 = g.op("Transpose", [x0_last], "x0", perm=[0, 1, 4, 2, 3])
    v = g.op("Div", [g.op("Sub", [g.op("Mul", [alpha, "x"]), x0]), sigma], "v_exact")
    v_alive = keep_inputs_alive(g, v, [("context", False), ("t_hint", True), ("s_cond", True)])
    g.op_to("Identity", [v_alive], "v")
    spec_json = denoiser_spec(12, [1, "T", "D"], "float32")
    graph = helper.make_graph(g.nodes, "analytic_denoiser", *denoiser_io(spec_json), g.initializers)
    save_model(graph, path)


ONNX_DTYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16, "int64": TensorProto.INT64}


def denoiser_io(spec_json):
    """ONNX inputs and outputs from the manifest's denoiser spec (one source for both)."""
    def infos(specs):
        return [tensor_info(x["name"], ONNX_DTYPES[x["dtype"]], x["shape"]) for x in specs]
    return infos(spec_json["inputs"]), infos(spec_json["outputs"])


def denoiser_spec(channels, context_shape, dtype):
    latent = [1, channels, "F", "h", "w"]
    layout = "BCFHW"
    return {
        "file": "denoiser.onnx",
        "inputs": [
            {"name": "x", "dtype": dtype, "shape": latent, "layout": layout},
            {"name": "t", "dtype": "int64", "shape": [1]},
            {"name": "context", "dtype": dtype, "shape": context_shape},
            {"name": "hint", "dtype": dtype, "shape": [1, channels, "K", "h", "w"], "layout": layout},
            {"name": "mask", "dtype": "int64", "shape": [1, "F"]},
            {"name": "t_hint", "dtype": "int64", "shape": [1]},
            {"name": "s_cond", "dtype": "int64", "shape": [1]},
        ],
        "outputs": [{"name": "v", "dtype": dtype, "shape": latent, "layout": layout}],
    }


def vae_specs(channels):
    image = ["N", 3, "H", "W"]
    latent = ["N", channels, "h", "w"]
    return (
        {
            "file": "vae_encoder.onnx",
            "inputs": [{"name": "image", "dtype": "float32", "shape": image, "layout": "NCHW"}],
            "outputs": [{"name": "moments", "dtype": "float32", "shape": ["N", 2 * channels, "h", "w"], "layout": "NCHW"}],
        },
        {
            "file": "vae_decoder.onnx",
            "inputs": [{"name": "latent", "dtype": "float32", "shape": latent, "layout": "NCHW"}],
            "outputs": [{"name": "image", "dtype": "float32", "shape": image, "layout": "NCHW"}],
        },
    )


def write_analytic(out_dir):
    analytic_vae_encoder(os.path.join(out_dir, "vae_encoder.onnx"))
    analytic_vae_decoder(os.path.join(out_dir, "vae_decoder.onnx"))
    analytic_denoiser(os.path.join(out_dir, "denoiser.onnx"), SCHEDULE)
    encoder, decoder = vae_specs(12)
    manifest = {
        "schemaVersion": 2,
        "name": "analytic-test",
        "version": "1.0.0",
        "license": "MIT",
        "family": "analytic-test",
        "testPack": True,
        "description": (
            "Analytic test pack: VAE = SpaceToDepth(2) and its exact inverse; the denoiser returns the exact "
            "v-prediction for x0 = the key-frame hints interpolated linearly over time. Proves the engine "
            "(schedule, sampler, chunks, tiles, padding) in closed form; does not enhance."
        ),
        "files": [],
        "graphs": {
            "vae_encoder": encoder,
            "vae_decoder": decoder,
            "denoiser": denoiser_spec(12, [1, "T", "D"], "float32"),
        },
        "latent": {"channels": 12, "downscale": 2, "scalingFactor": 1},
        "schedule": SCHEDULE,
        "sampler": sampler(1, 0),
        # The smallest height = 8 (mod 16) and width = 0 (mod 16), padded at the bottom / right.
        "resolution": {
            "areaMin": 1,
            "areaMax": 16777216,
            "pad": {
                "value": 1,
                "height": {"min": 0, "addend": 7, "multiple": 16, "offset": 8},
                "width": {"min": 0, "addend": 15, "multiple": 16, "offset": 0},
            },
        },
        "temporalChunk": TEMPORAL_CHUNK_VENHANCER,
        "decode": {
            "temporalChunk": 5,
            "temporalOverlap": 2,
            "tileH": 16,
            "tileW": 24,
            "overlapH": 4,
            "overlapW": 6,
            "gaussianVar": 0.02,
        },
        "text": None,
        "defaults": {"scale": 2, "targetFps": None, "noise": 0, "sCond": 8, "steps": "fast", "cfg": 1},
        "supports": {"scale": [1, 8], "maxInsertedFrames": 7, "prompt": False, "cfg": False, "noise": True},
    }
    write_manifest(out_dir, manifest, {})


# ----------------------------------------------------------------------------------------------------------------
# tiny-venhancer-test

TEXT_TOKENS = 77
HIDDEN = 1024
EMBED = 16
TINY_CHANNELS = 4
SPECIAL_TOKENS = ["<|startoftext|>", "<|endoftext|>", "<|unk|>"]
WORD_SUFFIX = "</w>"
# A tiny corpus for the BPE merges: the words of the positive suffix, the negative prompt and common prompt words.
CORPUS = (
    "a an the of and with in on at by high quality detailed sharp clear cinematic video photo film scene light "
    "lighting soft natural smooth steady camera motion person face man woman child dog cat car street city sky "
    "water sea tree forest mountain night day sun flying space astronaut walking running slow fast beautiful "
    "realistic vivid color colors blurry blur noisy noise low lowres worst bad ugly distorted deformed "
    "artifacts flicker flickering jitter compression watermark text oversaturated dark bright"
)
POSITIVE_SUFFIX = ", cinematic, high quality, detailed, sharp, smooth steady motion"
NEGATIVE_PROMPT = "blurry, noisy, low quality, distorted, deformed, flickering, artifacts, watermark, text"
MERGES = 160
# The text encoder's weights are stored as ONNX external data, so packs with external data are exercised.
TEXT_ENCODER_DATA = "text_encoder.onnx.data"


def train_bpe(corpus, merges_wanted):
    """Classic BPE training on a word list (ties broken by the pair itself, so the result is deterministic)."""
    words = {}
    for w in corpus.split():
        symbols = tuple(list(w[:-1]) + [w[-1] + WORD_SUFFIX])
        words[symbols] = words.get(symbols, 0) + 1
    merges = []
    for _ in range(merges_wanted):
        pairs = {}
        for symbols, count in words.items():
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + count
        if not pairs:
            break
        best = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        merges.append(best)
        merged = {}
        for symbols, count in words.items():
            out = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + count
        words = merged
    return merges


def tokenizer_json():
    alphabet = list("abcdefghijklmnopqrstuvwxyz0123456789") + list(",.!?'-:;()")
    vocab_list = list(SPECIAL_TOKENS)
    for ch in alphabet:
        vocab_list.append(ch)
    for ch in alphabet:
        vocab_list.append(ch + WORD_SUFFIX)
    merges = train_bpe(CORPUS, MERGES)
    for a, b in merges:
        token = a + b
        if token not in vocab_list:
            vocab_list.append(token)
    vocab = {token: i for i, token in enumerate(vocab_list)}
    added = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for t in SPECIAL_TOKENS
    ]
    bos, eos = SPECIAL_TOKENS[0], SPECIAL_TOKENS[1]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": bos, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": eos, "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": bos, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": eos, "type_id": 1}},
            ],
            "special_tokens": {
                bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]},
                eos: {"id": eos, "ids": [vocab[eos]], "tokens": [eos]},
            },
        },
        "decoder": {"type": "BPEDecoder", "suffix": WORD_SUFFIX},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": SPECIAL_TOKENS[2],
            "continuing_subword_prefix": None,
            "end_of_word_suffix": WORD_SUFFIX,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [a + " " + b for a, b in merges],
        },
    }
    return tokenizer, len(vocab_list), vocab[eos]


def tiny_text_encoder(path, rng, vocab_size):
    g = GraphBuilder("txt")
    table = g.const(rng.standard_normal((vocab_size, EMBED)).astype(np.float32), hint="embedding")
    proj = g.const((rng.standard_normal((EMBED, HIDDEN)) / math.sqrt(EMBED)).astype(np.float32), hint="proj")
    embedded = g.op("Gather", [table, "input_ids"], "embedded", axis=0)  # [B, 77, 16]
    g.op_to("MatMul", [embedded, proj], "hidden_states")
    graph = helper.make_graph(
        g.nodes, "tiny_text_encoder",
        [tensor_info("input_ids", TensorProto.INT64, ["B", TEXT_TOKENS])],
        [tensor_info("hidden_states", TensorProto.FLOAT, ["B", TEXT_TOKENS, HIDDEN])],
        g.initializers,
    )
    save_model(graph, path, external_data=TEXT_ENCODER_DATA)


def tiny_vae_encoder(path, rng):
    """Moments [N, 8, h, w]: mean and log-variance (biased to about -6, clamped to [-30, 20] as the contract says)."""
    g = GraphBuilder("enc")
    weight = g.const((rng.standard_normal((2 * TINY_CHANNELS, 3, 8, 8)) / 8.0).astype(np.float32), hint="conv_w")
    bias = g.const(np.concatenate([np.zeros(TINY_CHANNELS), np.full(TINY_CHANNELS, -6.0)]).astype(np.float32), hint="conv_b")
    both = g.op("Conv", ["image", weight, bias], "both", kernel_shape=[8, 8], strides=[8, 8])
    mean = g.op("Slice", [both, g.const([0], np.int64), g.const([TINY_CHANNELS], np.int64), g.const([1], np.int64)], "mean")
    logvar = g.op("Slice", [both, g.const([TINY_CHANNELS], np.int64), g.const([2 * TINY_CHANNELS], np.int64), g.const([1], np.int64)])
    clamped = g.op("Clip", [logvar, g.const(-30.0), g.const(20.0)], "logvar")
    g.op_to("Concat", [mean, clamped], "moments", axis=1)
    graph = helper.make_graph(
        g.nodes, "tiny_vae_encoder",
        [tensor_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [tensor_info("moments", TensorProto.FLOAT, ["N", 2 * TINY_CHANNELS, "h", "w"])],
        g.initializers,
    )
    save_model(graph, path)


def tiny_vae_decoder(path, rng):
    g = GraphBuilder("dec")
    weight = g.const((rng.standard_normal((3 * 64, TINY_CHANNELS, 1, 1)) * 0.5).astype(np.float32), hint="conv_w")
    bias = g.const(np.zeros(3 * 64, np.float32), hint="conv_b")
    features = g.op("Conv", ["latent", weight, bias], "features", kernel_shape=[1, 1])
    pixels = g.op("DepthToSpace", [features], "pixels", blocksize=8, mode="DCR")
    g.op_to("Tanh", [pixels], "image")  # keeps the decoded image in [-1, 1]
    graph = helper.make_graph(
        g.nodes, "tiny_vae_decoder",
        [tensor_info("latent", TensorProto.FLOAT, ["N", TINY_CHANNELS, "h", "w"])],
        [tensor_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        g.initializers,
    )
    save_model(graph, path)


def tiny_denoiser(path, rng):
    """fp16 IO and weights. The arithmetic runs in float32 inside the graph (Cast at the edges), because the CPU
    provider lacks fp16 kernels for Conv on x86; the fp16 contract at the boundary is what this pack tests."""
    g = GraphBuilder("den")
    f16 = np.float16

    def to32(name):
        return g.op("Cast", [name], name + "_f32", to=TensorProto.FLOAT)

    def weight16(array, hint):
        return to32(g.const(array.astype(f16), f16, hint))

    x, t, context = to32("x"), to32("t"), to32("context")
    t_hint, s_cond = to32("t_hint"), to32("s_cond")
    mask = g.op("Squeeze", ["mask", g.const([0], np.int64)], "mask_flat")  # [F]
    key = g.op("Cast", [g.op("GreaterOrEqual", [mask, g.const(0, np.int64)])], "key", to=TensorProto.FLOAT)
    # The hint reaches key frames only (gathered by global key index), as in the reference ControlNet.
    key_5d = g.op("Reshape", [key, g.const([1, 1, -1, 1, 1], np.int64)], "key_5d")
    hint = g.op("Mul", [gather_hint_by_mask(g, to32("hint"), mask), key_5d], "hint_at_keys")
    both = g.op("Concat", [x, hint], "x_hint", axis=1)  # [1, 8, F, h, w]
    conv_w = weight16(rng.standard_normal((TINY_CHANNELS, 2 * TINY_CHANNELS, 3, 3, 3)) * 0.05, "conv_w")
    conv_b = weight16(np.zeros(TINY_CHANNELS), "conv_b")
    features = g.op("Conv", [both, conv_w, conv_b], "features", kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1])
    # Timestep embedding: sin(t / 1000 * freq) per channel.
    freqs = weight16(rng.uniform(0.5, 3.0, TINY_CHANNELS), "freqs")
    t_emb = g.op("Sin", [g.op("Mul", [g.op("Div", [t, g.const(1000.0)]), freqs])], "t_emb")  # [4]
    # Context term: mean over tokens, projected to the channels.
    ctx_mean = g.op("ReduceMean", [context], "ctx_mean", axes=[1], keepdims=0)  # [1, 1024]
    ctx_w = weight16(rng.standard_normal((HIDDEN, TINY_CHANNELS)) * 0.01, "ctx_w")
    ctx = g.op("Reshape", [g.op("MatMul", [ctx_mean, ctx_w]), g.const([TINY_CHANNELS], np.int64)], "ctx_term")
    # Condition term: noise level and scale, at key frames only (mask >= 0).
    cond_w = weight16(rng.standard_normal(TINY_CHANNELS) * 0.01, "cond_w")
    level = g.op("Add", [g.op("Div", [t_hint, g.const(1000.0)]), g.op("Div", [s_cond, g.const(8.0)])])
    cond = g.op("Mul", [level, cond_w], "cond_term")  # [4]
    per_channel = g.op("Add", [g.op("Add", [t_emb, ctx]), cond])
    channel_term = g.op("Reshape", [per_channel, g.const([1, TINY_CHANNELS, 1, 1, 1], np.int64)])
    key_term = g.op("Mul", [key_5d, g.const(0.01)])
    v32 = g.op("Add", [g.op("Add", [features, channel_term]), key_term], "v32")
    g.op_to("Cast", [v32], "v", to=TensorProto.FLOAT16)
    spec_json = denoiser_spec(TINY_CHANNELS, [1, TEXT_TOKENS, HIDDEN], "float16")
    graph = helper.make_graph(g.nodes, "tiny_denoiser", *denoiser_io(spec_json), g.initializers)
    save_model(graph, path)


def write_tiny(out_dir):
    rng = np.random.default_rng(20240917)
    tokenizer, vocab_size, eos_id = tokenizer_json()
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(tokenizer, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    tiny_text_encoder(os.path.join(out_dir, "text_encoder.onnx"), rng, vocab_size)
    tiny_vae_encoder(os.path.join(out_dir, "vae_encoder.onnx"), rng)
    tiny_vae_decoder(os.path.join(out_dir, "vae_decoder.onnx"), rng)
    tiny_denoiser(os.path.join(out_dir, "denoiser.onnx"), rng)
    encoder, decoder = vae_specs(TINY_CHANNELS)
    manifest = {
        "schemaVersion": 2,
        "name": "tiny-venhancer-test",
        "version": "1.0.0",
        "license": "MIT",
        "family": "tiny-test",
        "testPack": True,
        "description": (
            "Tiny test pack with the VEnhancer pack contract (text encoder, 8x VAE with 4 channels, fp16 denoiser "
            "with x, t, context, hint, mask, t_hint, s_cond) and small random weights. Exercises the contract; "
            "does not enhance."
        ),
        "files": [],
        "graphs": {
            "text_encoder": {
                "file": "text_encoder.onnx",
                "inputs": [{"name": "input_ids", "dtype": "int64", "shape": ["B", TEXT_TOKENS]}],
                "outputs": [{"name": "hidden_states", "dtype": "float32", "shape": ["B", TEXT_TOKENS, HIDDEN]}],
            },
            "vae_encoder": encoder,
            "vae_decoder": decoder,
            "denoiser": denoiser_spec(TINY_CHANNELS, [1, TEXT_TOKENS, HIDDEN], "float16"),
        },
        "latent": {"channels": TINY_CHANNELS, "downscale": 8, "scalingFactor": 0.18215},
        "schedule": SCHEDULE,
        "sampler": sampler(7.5, 0.2),
        # The reference's pad_to_fit with a small working size (48x64): centred below it, above it
        # ((h + 48) // 64) 64 + 16 and (w // 64 + 1) 64.
        "resolution": {
            "areaMin": 1,
            "areaMax": 1048576,
            "pad": {
                "value": 1,
                "height": {"min": 48, "addend": 48, "multiple": 64, "offset": 16},
                "width": {"min": 64, "addend": 0, "multiple": 64, "offset": 64},
            },
        },
        "temporalChunk": TEMPORAL_CHUNK_VENHANCER,
        "decode": {
            "temporalChunk": 5,
            "temporalOverlap": 2,
            "tileH": 16,
            "tileW": 16,
            "overlapH": 4,
            "overlapW": 4,
            "gaussianVar": 0.02,
        },
        "text": {
            "tokenizer": "tokenizer.json",
            "maxTokens": TEXT_TOKENS,
            "hiddenSize": HIDDEN,
            "padTokenId": eos_id,
            "positiveSuffix": POSITIVE_SUFFIX,
            "negativePrompt": NEGATIVE_PROMPT,
        },
        "defaults": {"scale": 2, "targetFps": None, "noise": 250, "sCond": 8, "steps": "fast", "cfg": 7.5},
        "supports": {"scale": [1, 8], "maxInsertedFrames": 7, "prompt": True, "cfg": True, "noise": True},
    }
    write_manifest(out_dir, manifest, {"tokenizer.json": "tokenizer", TEXT_ENCODER_DATA: "external-data"})


# ----------------------------------------------------------------------------------------------------------------
# Manifest and driver


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out_dir, manifest, roles):
    files = []
    for name in sorted(os.listdir(out_dir)):
        if name == "manifest.json":
            continue
        path = os.path.join(out_dir, name)
        role = roles.get(name, "graph" if name.endswith(".onnx") else "other")
        files.append({"path": name, "sha256": sha256_of(path), "size": os.path.getsize(path), "role": role})
    manifest["files"] = files
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


PACKS = {"analytic-test": write_analytic, "tiny-venhancer-test": write_tiny}


# ----------------------------------------------------------------------------------------------------------------
# overhead-test (not committed: bench/engine-overhead-real.bench.ts writes it to a temporary folder)


def write_overhead(out_dir):
    """A near-free model at the real geometry (4 latent channels, 8x downscale) with the reference's resolution,
    chunk and decode rules: the encoder averages 8x8 blocks (mean: the 3 colour averages and their first again,
    log-variance -30), the decoder upsamples the first 3 channels by nearest 8x, and the denoiser predicts the clean
    sample (prediction type x0): each frame's latest key-frame latent, gathered from the hint. So every latent, tile
    and chunk the real model would cost the engine is there, the model itself costs ~nothing, and the output is a
    picture (the source, 8x8-pooled), not noise: the video encoder then has the work a real result gives it."""
    g = GraphBuilder("enc")
    pooled = g.op("AveragePool", ["image"], "pooled", kernel_shape=[8, 8], strides=[8, 8])
    first = g.op("Slice", [pooled, g.const([0], np.int64), g.const([1], np.int64), g.const([1], np.int64)])
    mean = g.op("Concat", [pooled, first], "mean", axis=1)
    logvar = g.op("Add", [g.op("Mul", [mean, g.const(0.0)]), g.const(-30.0)], "logvar")
    g.op_to("Concat", [mean, logvar], "moments", axis=1)
    save_model(helper.make_graph(g.nodes, "overhead_vae_encoder", [tensor_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                                 [tensor_info("moments", TensorProto.FLOAT, ["N", 8, "h", "w"])], g.initializers),
               os.path.join(out_dir, "vae_encoder.onnx"))
    g = GraphBuilder("dec")
    rgb = g.op("Slice", ["latent", g.const([0], np.int64), g.const([3], np.int64), g.const([1], np.int64)])
    g.op_to("Resize", [rgb, "", g.const([1.0, 1.0, 8.0, 8.0])], "image", mode="nearest")
    save_model(helper.make_graph(g.nodes, "overhead_vae_decoder", [tensor_info("latent", TensorProto.FLOAT, ["N", 4, "h", "w"])],
                                 [tensor_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])], g.initializers),
               os.path.join(out_dir, "vae_decoder.onnx"))
    g = GraphBuilder("den")
    # latest[f] = max(mask[f'] for f' <= f), at least 0: the key index of frame f, or of the key before it.
    frame_count = g.op("Gather", [g.op("Shape", ["mask"]), g.const(1, np.int64)], "frame_count")
    index = g.op("Cast", [g.op("Range", [g.const(0, np.int64), frame_count, g.const(1, np.int64)])], "index", to=TensorProto.FLOAT)
    up_to = g.op("LessOrEqual", [g.op("Unsqueeze", [index, g.const([0], np.int64)]), g.op("Unsqueeze", [index, g.const([1], np.int64)])], "up_to")
    keys = g.op("Where", [up_to, g.op("Cast", ["mask"], to=TensorProto.FLOAT), g.const(-1.0)], "keys")
    latest = g.op("Max", [g.op("ReduceMax", [keys], axes=[1], keepdims=0), g.const(0.0)], "latest")
    x0 = g.op("Gather", ["hint", g.op("Cast", [latest], to=TensorProto.INT64)], "x0", axis=2)
    alive = keep_inputs_alive(g, x0, [("x", False), ("context", False), ("t", True), ("t_hint", True), ("s_cond", True)])
    g.op_to("Identity", [alive], "v")
    spec_json = denoiser_spec(4, [1, 77, 1024], "float32")
    save_model(helper.make_graph(g.nodes, "overhead_denoiser", *denoiser_io(spec_json), g.initializers),
               os.path.join(out_dir, "denoiser.onnx"))
    encoder, decoder = vae_specs(4)
    manifest = {
        "schemaVersion": 2,
        "name": "overhead-test",
        "version": "1.0.0",
        "license": "MIT",
        "family": "tiny-test",
        "testPack": True,
        "description": "Near-free model at the real VEnhancer geometry, for the engine-overhead benchmark; does not enhance.",
        "files": [],
        "graphs": {"vae_encoder": encoder, "vae_decoder": decoder, "denoiser": spec_json},
        "latent": {"channels": 4, "downscale": 8, "scalingFactor": 0.18215},
        "schedule": {**SCHEDULE, "prediction": "x0"},
        "sampler": sampler(7.5, 0.2),
        "resolution": {
            "areaMin": 1382400,
            "areaMax": 2359296,
            "pad": {
                "value": 1,
                "height": {"min": 720, "addend": 48, "multiple": 64, "offset": 16},
                "width": {"min": 1280, "addend": 0, "multiple": 64, "offset": 64},
            },
        },
        "temporalChunk": TEMPORAL_CHUNK_VENHANCER,
        "decode": {"temporalChunk": 5, "temporalOverlap": 2, "tileH": 72, "tileW": 128, "overlapH": 12,
                   "overlapW": 25, "gaussianVar": 0.02},
        "text": None,
        "defaults": {"scale": 4, "targetFps": 24, "noise": 250, "sCond": 8, "steps": "fast", "cfg": 7.5},
        "supports": {"scale": [1, 8], "maxInsertedFrames": 7, "prompt": False, "cfg": True, "noise": True},
    }
    write_manifest(out_dir, manifest, {})


def generate(root):
    for name, write in sorted(PACKS.items()):
        out_dir = os.path.join(root, name)
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        write(out_dir)


def check():
    """Regenerates into a temp folder and compares with the committed packs, byte for byte."""
    with tempfile.TemporaryDirectory(prefix="upframe-packs-") as tmp:
        generate(tmp)
        problems = []
        for name in sorted(PACKS):
            fresh_dir, committed_dir = os.path.join(tmp, name), os.path.join(PACKS_DIR, name)
            if not os.path.isdir(committed_dir):
                problems.append("%s: missing (run the generator without --check)" % committed_dir)
                continue
            cmp = filecmp.dircmp(fresh_dir, committed_dir)
            for f in sorted(cmp.left_only):
                problems.append("%s/%s: not in the committed pack" % (name, f))
            for f in sorted(cmp.right_only):
                problems.append("%s/%s: committed but no longer generated" % (name, f))
            for f in sorted(cmp.common_files):
                if not filecmp.cmp(os.path.join(fresh_dir, f), os.path.join(committed_dir, f), shallow=False):
                    problems.append("%s/%s: differs from a fresh generation" % (name, f))
        if problems:
            print("Test packs are out of date:\n  " + "\n  ".join(problems), file=sys.stderr)
            print("Regenerate with: /usr/bin/python3 native-models/generate_test_packs.py", file=sys.stderr)
            return 1
        print("Test packs match a fresh generation.")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare")
    parser.add_argument("--overhead", metavar="DIR", help="write only the benchmark's near-free pack into DIR")
    args = parser.parse_args()
    if args.check:
        return check()
    if args.overhead:
        os.makedirs(args.overhead, exist_ok=True)
        write_overhead(args.overhead)
        print("wrote", args.overhead)
        return 0
    generate(PACKS_DIR)
    for name in sorted(PACKS):
        print("wrote", os.path.join(PACKS_DIR, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
